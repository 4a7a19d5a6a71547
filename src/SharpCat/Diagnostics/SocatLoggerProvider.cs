using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using SharpCat.Native;

namespace SharpCat.Diagnostics;

/// <summary>Where <see cref="SocatLoggerProvider"/> writes, as socat's <c>-ls</c>, <c>-lf</c>, <c>-ly</c> and <c>-lm</c> choose.</summary>
public enum SocatLogTarget
{
    /// <summary>Standard error, fd 2 (the default, <c>-ls</c>).</summary>
    Stderr,
    /// <summary>A file opened for appending (<c>-lf</c>).</summary>
    File,
    /// <summary>The system log through <c>/dev/log</c> (<c>-ly</c>).</summary>
    Syslog,
    /// <summary>Standard error until the first transfer starts, then the system log (<c>-lm</c>).</summary>
    Mixed,
}

/// <summary>How <see cref="SocatLoggerProvider"/> writes each line.</summary>
public enum SocatLogFormat
{
    /// <summary>socat's own: <c>2026/11/26 05:30:00 sharpcat[1234] N message</c>.</summary>
    Socat,
    /// <summary>One JSON object per line: time, level, program, pid, message (and a record's fields).</summary>
    Json,
}

/// <summary>
/// Writes log records as socat writes its messages, <c>2026/11/26 05:30:00 sharpcat[1234] N message</c>,
/// to stderr, a file or syslog. The sharpcat program logs through it; a library host can add it to
/// its logger factory to get the same lines. Levels map to socat's letters: Trace D, Debug I,
/// Information N, Warning W, Error E, Critical F. Writes go straight to the descriptor, never
/// through <see cref="Console"/> (which would change a terminal's settings).
/// </summary>
public sealed class SocatLoggerProvider : ILoggerProvider
{
    private readonly Lock _gate = new();
    private int _fileFd = -1;
    private Socket? _syslog;
    private bool _mixedSwitched;
    private string? _hostName;
    private readonly SocatLogger _logger;

    /// <summary>A provider writing to stderr at socat's default level (errors and worse).</summary>
    public SocatLoggerProvider() => _logger = new SocatLogger(this);

    /// <summary>Lowest level written: <see cref="LogLevel.Error"/> by default, as socat; each <c>-d</c> lowers it by one.</summary>
    public LogLevel MinimumLevel { get; set; } = LogLevel.Error;

    /// <summary>Program name in each line (<c>-lp</c>), "sharpcat" by default.</summary>
    public string ProgramName { get; set; } = "sharpcat";

    /// <summary>Timestamps with microseconds (<c>-lu</c>).</summary>
    public bool Microseconds { get; set; }

    /// <summary>Host name in each line (<c>-lh</c>).</summary>
    public bool WithHostName { get; set; }

    /// <summary>Where lines go.</summary>
    public SocatLogTarget Target { get; private set; } = SocatLogTarget.Stderr;

    /// <summary>socat's line format (the default) or JSON lines (<c>--log-format=json</c>).</summary>
    public SocatLogFormat Format { get; set; } = SocatLogFormat.Socat;

    /// <summary>The syslog facility code (daemon, 3, by default).</summary>
    public int Facility { get; private set; } = 3;

    /// <summary>The syslog daemon's socket; a test points it at a socket of its own.</summary>
    internal string SyslogSocketPath { get; set; } = "/dev/log";

    /// <summary>Appends lines to a file (<c>-lf</c>), created if missing.</summary>
    /// <exception cref="SharpCatException">The file cannot be opened.</exception>
    public void WriteToFile(string path)
    {
        int fd = Posix.Open(path, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_APPEND, 0x1B6);
        lock (_gate)
        {
            if (_fileFd >= 0) Posix.Close(_fileFd);
            _fileFd = fd;
            Target = SocatLogTarget.File;
        }
    }

    /// <summary>Sends lines to the system log (<c>-ly</c>), or to stderr until the first transfer starts (<c>-lm</c>).</summary>
    /// <param name="facility">A facility name (<c>daemon</c>, <c>local3</c>, …); null or empty for daemon.</param>
    /// <param name="mixed">Stderr first, as <c>-lm</c>.</param>
    /// <exception cref="SharpCatException">The facility is unknown.</exception>
    public void WriteToSyslog(string? facility, bool mixed)
    {
        Facility = facility is null or "" ? 3 : SyslogFacilities.Parse(facility);
        Target = mixed ? SocatLogTarget.Mixed : SocatLogTarget.Syslog;
        _mixedSwitched = false;
    }

    /// <summary>In <see cref="SocatLogTarget.Mixed"/> mode, the start phase is over: later lines go to syslog.</summary>
    public void StartPhaseOver() => _mixedSwitched = true;

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => _logger;

    /// <summary>A line written whatever <see cref="MinimumLevel"/> is (socat 1.8's statistics are).</summary>
    internal void WriteAlways(LogLevel level, string message) => Write(level, message, null);

    /// <summary>
    /// Writes a connection's record (<see cref="RelayHost.ConnectionClosed"/>) as a line of its own,
    /// whatever <see cref="MinimumLevel"/> is: in socat's format a notice, <c>N connection 1 record: …</c>;
    /// as JSON, an object with <c>"type":"connection"</c> and its fields.
    /// </summary>
    /// <param name="record">The record.</param>
    /// <param name="json">JSON even when <see cref="Format"/> is socat's (<c>--records=json</c>).</param>
    public void WriteRecord(RelayConnectionClosed record, bool json = false)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (json || Format == SocatLogFormat.Json) Write(LogLevel.Information, null, record);
        else Write(LogLevel.Information, ConnectionRecordFormat.Text(record), null);
    }

    /// <summary>Closes the log file and the syslog socket.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_fileFd >= 0) Posix.Close(_fileFd);
            _fileFd = -1;
            _syslog?.Dispose();
            _syslog = null;
        }
    }

    private void Write(LogLevel level, string? message, RelayConnectionClosed? record)
    {
        var now = DateTime.Now;
        if (record is not null || Format == SocatLogFormat.Json) message = JsonLine(level, message, record, now);
        lock (_gate)
        {
            if (Target == SocatLogTarget.Syslog || (Target == SocatLogTarget.Mixed && _mixedSwitched))
            {
                SendSyslog(level, message!, now);
                return;
            }
            if (record is not null || Format == SocatLogFormat.Json)
            {
                try { Posix.WriteAll(_fileFd >= 0 ? _fileFd : 2, Encoding.UTF8.GetBytes(message + "\n")); } catch (PosixException) { }
                return;
            }
            var sb = new StringBuilder(64 + message!.Length);
            sb.Append(now.ToString("yyyy/MM/dd HH:mm:ss", CultureInfo.InvariantCulture));
            if (Microseconds) sb.Append('.').Append((now.Ticks % TimeSpan.TicksPerSecond / 10).ToString("D6", CultureInfo.InvariantCulture));
            sb.Append(' ');
            if (WithHostName) sb.Append(_hostName ??= Posix.HostName()).Append(' ');
            sb.Append(ProgramName).Append('[').Append(Environment.ProcessId).Append("] ")
              .Append(Severities.Letter(level)).Append(' ').Append(message).Append('\n');
            byte[] bytes = Encoding.UTF8.GetBytes(sb.ToString());
            try { Posix.WriteAll(_fileFd >= 0 ? _fileFd : 2, bytes); } catch (PosixException) { }
        }
    }

    private string JsonLine(LogLevel level, string? message, RelayConnectionClosed? record, DateTime now)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", now.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("level", Severities.Letter(level).ToString());
            json.WriteString("program", ProgramName);
            json.WriteNumber("pid", Environment.ProcessId);
            if (WithHostName) json.WriteString("host", _hostName ??= Posix.HostName());
            if (message is not null) json.WriteString("message", message);
            if (record is not null) ConnectionRecordFormat.WriteJson(json, record);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private void SendSyslog(LogLevel level, string message, DateTime now)
    {
        // RFC 3164 as glibc's syslog(3) writes it to /dev/log.
        int priority = Facility * 8 + level switch
        {
            LogLevel.Critical => 2, LogLevel.Error => 3, LogLevel.Warning => 4,
            LogLevel.Information => 5, LogLevel.Debug => 6, _ => 7,
        };
        string line = $"<{priority}>{now.ToString("MMM", CultureInfo.InvariantCulture)} {now.Day,2} {now:HH:mm:ss} {ProgramName}[{Environment.ProcessId}]: {Severities.Letter(level)} {message}";
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

    private sealed class SocatLogger(SocatLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= provider.MinimumLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string message = formatter(state, exception);
            if (exception is not null && message.Length == 0) message = exception.Message;
            provider.Write(logLevel, message, null);
        }
    }
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
