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
    /// <summary>One JSON object per line: time, level, program, pid, connection, message (and a record's fields).</summary>
    Json,
    /// <summary>
    /// RFC 5424 syslog messages, to syslog as to a file: socat's level and the connection as
    /// structured data (<c>[sharpcat@32473 level="N" connection="3"]</c>), a record's fields as an
    /// element of their own.
    /// </summary>
    Rfc5424,
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
    // The connection whose relay is logging: set only where a line shows it (JSON, RFC 5424),
    // so socat's format pays nothing for it.
    private readonly AsyncLocal<long> _connection = new();

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

    /// <summary>socat's line format (the default), JSON lines or RFC 5424 (<c>--log-format=</c>).</summary>
    public SocatLogFormat Format { get; set; } = SocatLogFormat.Socat;

    /// <summary>The syslog facility code (daemon, 3, by default).</summary>
    public int Facility { get; private set; } = 3;

    /// <summary>The syslog daemon's datagram socket for <see cref="SocatLogTarget.Syslog"/> (<c>/dev/log</c>, as syslog(3)'s).</summary>
    public string SyslogSocketPath { get; set; } = "/dev/log";

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
        if (json || Format == SocatLogFormat.Json) Write(LogLevel.Information, null, record, json: true);
        else if (Format == SocatLogFormat.Rfc5424) Write(LogLevel.Information, ConnectionRecordFormat.Text(record), record);
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

    private void Write(LogLevel level, string? message, RelayConnectionClosed? record, bool json = false)
    {
        var now = DateTime.Now;
        string line = json || Format == SocatLogFormat.Json ? JsonLine(level, message, record, now)
            : Format == SocatLogFormat.Rfc5424 ? Rfc5424Format.Line(Facility, level, now, HostName, ProgramName, _connection.Value, message, record)
            : message!;
        lock (_gate)
        {
            if (Target == SocatLogTarget.Syslog || (Target == SocatLogTarget.Mixed && _mixedSwitched))
            {
                SendSyslog(level, message, line, now);
                return;
            }
            if (!json && Format == SocatLogFormat.Socat) line = SocatLine(level, line, now);
            try { Posix.WriteAll(_fileFd >= 0 ? _fileFd : 2, Encoding.UTF8.GetBytes(line + "\n")); } catch (PosixException) { }
        }
    }

    private string HostName => _hostName ??= Posix.HostName();

    private string SocatLine(LogLevel level, string message, DateTime now)
    {
        var sb = new StringBuilder(64 + message.Length);
        sb.Append(now.ToString("yyyy/MM/dd HH:mm:ss", CultureInfo.InvariantCulture));
        if (Microseconds) sb.Append('.').Append((now.Ticks % TimeSpan.TicksPerSecond / 10).ToString("D6", CultureInfo.InvariantCulture));
        sb.Append(' ');
        if (WithHostName) sb.Append(HostName).Append(' ');
        sb.Append(ProgramName).Append('[').Append(Environment.ProcessId).Append("] ")
          .Append(Severities.Letter(level)).Append(' ').Append(message);
        return sb.ToString();
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
            if (WithHostName) json.WriteString("host", HostName);
            if (_connection.Value > 0) json.WriteNumber("connection", _connection.Value);
            if (message is not null) json.WriteString("message", message);
            if (record is not null) ConnectionRecordFormat.WriteJson(json, record);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private void SendSyslog(LogLevel level, string? message, string line, DateTime now)
    {
        // RFC 5424 lines go as they are; the others as glibc's syslog(3) writes to /dev/log (RFC 3164).
        if (Format != SocatLogFormat.Rfc5424)
            line = $"<{Facility * 8 + Rfc5424Format.SyslogSeverity(level)}>{now.ToString("MMM", CultureInfo.InvariantCulture)} {now.Day,2} {now:HH:mm:ss} {ProgramName}[{Environment.ProcessId}]: "
                + (Format == SocatLogFormat.Socat ? $"{Severities.Letter(level)} {line}" : line);
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
            // No syslog daemon: socat's syslog(3) drops the line silently; an error still reaches
            // stderr, as syslog(3) with LOG_CONS reaches the console, so a run that fails says why.
            _syslog?.Dispose();
            _syslog = null;
            if (level >= LogLevel.Error)
                try { Posix.WriteAll(2, Encoding.UTF8.GetBytes(SocatLine(level, message ?? line, now) + "\n")); } catch (PosixException) { }
        }
    }

    /// <summary>
    /// False when <paramref name="logger"/> is one of this class's writing socat's format, which shows
    /// no connection, or a logger that writes nothing: a relay then opens no scope per connection
    /// (measured: half a KiB of garbage per connection in a fork relay).
    /// </summary>
    internal static bool WantsConnectionScopes(ILogger logger) => logger switch
    {
        SocatLogger socat => socat.Provider.Format != SocatLogFormat.Socat,
        Microsoft.Extensions.Logging.Abstractions.NullLogger => false,
        _ => true,
    };

    /// <summary>Marks the lines written until the scope is disposed as this connection's (JSON and RFC 5424 show it).</summary>
    private IDisposable? EnterConnection(long id)
    {
        if (Format == SocatLogFormat.Socat) return null;
        long previous = _connection.Value;
        _connection.Value = id;
        return new ConnectionExit(this, previous);
    }

    private sealed class ConnectionExit(SocatLoggerProvider provider, long previous) : IDisposable
    {
        public void Dispose() => provider._connection.Value = previous;
    }

    private sealed class SocatLogger(SocatLoggerProvider provider) : ILogger
    {
        public SocatLoggerProvider Provider => provider;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull =>
            state is ConnectionScope connection ? provider.EnterConnection(connection.Id) : null;

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
