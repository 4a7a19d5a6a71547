using System.Net.Sockets;
using System.Text;
using SharpCat.Native;

namespace SharpCat.Diagnostics;

/// <summary>Message severities, lowest first; the letters are socat's.</summary>
public enum Severity
{
    /// <summary>D: internal detail.</summary>
    Debug,
    /// <summary>I: what is being done.</summary>
    Info,
    /// <summary>N: the main steps of a relay.</summary>
    Notice,
    /// <summary>W: something unexpected that does not end the relay.</summary>
    Warning,
    /// <summary>E: an error that ends the relay.</summary>
    Error,
    /// <summary>F: the program cannot go on.</summary>
    Fatal,
}

/// <summary>Where log lines go, as chosen by <c>-lf</c>, <c>-ls</c>, <c>-ly</c> and <c>-lm</c>.</summary>
public enum LogTarget
{
    /// <summary>Standard error (the default, <c>-ls</c>).</summary>
    Stderr,
    /// <summary>A file opened for appending (<c>-lf</c>).</summary>
    File,
    /// <summary>The system log through <c>/dev/log</c> (<c>-ly</c>).</summary>
    Syslog,
    /// <summary>Standard error until the relay starts, then the system log (<c>-lm</c>).</summary>
    Mixed,
}

/// <summary>
/// The process-wide logger. Lines read like socat's:
/// <c>2026/11/26 05:30:00 sharpcat[1234] E message</c>. Writes go straight to the fd, never
/// through System.Console (which would touch terminal settings).
/// </summary>
public static class Log
{
    private static readonly Lock Gate = new();
    private static int _fileFd = -1;
    private static Socket? _syslog;
    private static bool _mixedSwitched;

    /// <summary>Lowest severity printed; socat prints E and F by default, each <c>-d</c> adds one level.</summary>
    public static Severity Threshold { get; set; } = Severity.Error;

    /// <summary>Program name in each line (<c>-lp</c>).</summary>
    public static string ProgramName
    {
        get => ChosenProgramName ?? "sharpcat";
        set => ChosenProgramName = value;
    }

    /// <summary>The program name <c>-lp</c> chose; null while it is the default.</summary>
    internal static string? ChosenProgramName { get; private set; }

    /// <summary>Timestamps with microseconds (<c>-lu</c>).</summary>
    public static bool Microseconds { get; set; }

    /// <summary>Host name in each line (<c>-lh</c>).</summary>
    public static bool WithHostName { get; set; }

    /// <summary>Where lines go.</summary>
    public static LogTarget Target { get; private set; } = LogTarget.Stderr;

    /// <summary>The syslog facility code (daemon = 3 by default).</summary>
    public static int Facility { get; private set; } = 3;

    private static string? _hostName;

    /// <summary>The syslog daemon's socket; a test points it at a socket of its own.</summary>
    internal static string SyslogSocketPath { get; set; } = "/dev/log";

    /// <summary>Back to the defaults (stderr, no syslog connection); for tests.</summary>
    internal static void ResetTarget()
    {
        lock (Gate)
        {
            Target = LogTarget.Stderr;
            _mixedSwitched = false;
            _syslog?.Dispose();
            _syslog = null;
        }
    }

    /// <summary>True when a message of this severity would be printed: callers skip formatting otherwise.</summary>
    public static bool IsEnabled(Severity s) => s >= Threshold;

    /// <summary>Sends lines to a file, appending (<c>-lf</c>).</summary>
    public static void ToFile(string path)
    {
        int fd = Posix.Open(path, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_APPEND, 0x1B6);
        lock (Gate) { _fileFd = fd; Target = LogTarget.File; }
    }

    /// <summary>Sends lines to the system log (<c>-ly</c>) or, mixed, after the start phase (<c>-lm</c>).</summary>
    public static void ToSyslog(string? facility, bool mixed)
    {
        Facility = facility is null or "" ? 3 : SyslogFacilities.Parse(facility);
        Target = mixed ? LogTarget.Mixed : LogTarget.Syslog;
        _mixedSwitched = false;
    }

    /// <summary>Called once the relay starts: in mixed mode, later lines go to syslog.</summary>
    public static void StartPhaseOver() => _mixedSwitched = true;

    /// <summary>Logs one message.</summary>
    public static void Write(Severity severity, string message)
    {
        if (severity < Threshold) return;
        var now = DateTime.Now;
        lock (Gate)
        {
            if (Target == LogTarget.Syslog || (Target == LogTarget.Mixed && _mixedSwitched))
            {
                SendSyslog(severity, message, now);
                return;
            }
            var sb = new StringBuilder(64 + message.Length);
            sb.Append(now.ToString("yyyy/MM/dd HH:mm:ss"));
            if (Microseconds) sb.Append('.').Append((now.Ticks % TimeSpan.TicksPerSecond / 10).ToString("D6"));
            sb.Append(' ');
            if (WithHostName) sb.Append(_hostName ??= Posix.HostName()).Append(' ');
            sb.Append(ProgramName).Append('[').Append(Environment.ProcessId).Append("] ")
              .Append(Letter(severity)).Append(' ').Append(message).Append('\n');
            byte[] bytes = Encoding.UTF8.GetBytes(sb.ToString());
            try { Posix.WriteAll(_fileFd >= 0 ? _fileFd : 2, bytes); } catch (PosixException) { }
        }
    }

    private static void SendSyslog(Severity severity, string message, DateTime now)
    {
        // RFC 3164 as glibc's syslog(3) writes it to /dev/log.
        int priority = Facility * 8 + severity switch
        {
            Severity.Fatal => 2, Severity.Error => 3, Severity.Warning => 4,
            Severity.Notice => 5, Severity.Info => 6, _ => 7,
        };
        string line = $"<{priority}>{now.ToString("MMM", System.Globalization.CultureInfo.InvariantCulture)} {now.Day,2} {now:HH:mm:ss} {ProgramName}[{Environment.ProcessId}]: {Letter(severity)} {message}";
        try
        {
            if (_syslog is null)
            {
                _syslog = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
                _syslog.Connect(new UnixDomainSocketEndPoint(SyslogSocketPath));
            }
            _syslog.Send(Encoding.UTF8.GetBytes(line));
        }
        catch (SocketException)
        {
            // No syslog daemon: socat's syslog(3) drops the line silently too.
        }
    }

    /// <summary>The single letter socat prints for a severity.</summary>
    public static char Letter(Severity s) => "DINWEF"[(int)s];

    /// <summary>Logs at debug level.</summary>
    public static void Debug(string m) => Write(Severity.Debug, m);
    /// <summary>Logs at debug level, formatting only when it is printed.</summary>
    public static void Debug(ref LogMessage<DebugLevel> m) { if (IsEnabled(Severity.Debug)) Write(Severity.Debug, m.Text()); }
    /// <summary>Logs at info level.</summary>
    public static void Info(string m) => Write(Severity.Info, m);
    /// <summary>Logs at info level, formatting only when it is printed.</summary>
    public static void Info(ref LogMessage<InfoLevel> m) { if (IsEnabled(Severity.Info)) Write(Severity.Info, m.Text()); }
    /// <summary>Logs at notice level.</summary>
    public static void Notice(string m) => Write(Severity.Notice, m);
    /// <summary>Logs at notice level, formatting only when it is printed.</summary>
    public static void Notice(ref LogMessage<NoticeLevel> m) { if (IsEnabled(Severity.Notice)) Write(Severity.Notice, m.Text()); }
    /// <summary>Logs a warning.</summary>
    public static void Warn(string m) => Write(Severity.Warning, m);
    /// <summary>Logs an error.</summary>
    public static void Error(string m) => Write(Severity.Error, m);
}

/// <summary>syslog facility names as accepted by <c>-ly</c>.</summary>
internal static class SyslogFacilities
{
    private static readonly (string Name, int Code)[] Table =
    [
        ("kern", 0), ("user", 1), ("mail", 2), ("daemon", 3), ("auth", 4), ("syslog", 5), ("lpr", 6),
        ("news", 7), ("uucp", 8), ("cron", 9), ("authpriv", 10), ("ftp", 11),
        ("local0", 16), ("local1", 17), ("local2", 18), ("local3", 19), ("local4", 20),
        ("local5", 21), ("local6", 22), ("local7", 23),
    ];

    public static int Parse(string name)
    {
        foreach (var (n, c) in Table)
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase)) return c;
        throw new SharpCatException($"unknown syslog facility \"{name}\"");
    }
}
