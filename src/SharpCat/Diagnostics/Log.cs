using Microsoft.Extensions.Logging;
using SharpCat.Relay;

namespace SharpCat.Diagnostics;

/// <summary>
/// Where the code logs: the logger of the relay whose work is running (<see cref="RelayContext.Current"/>),
/// so two relays in one process log apart with no setting shared between them. Outside any relay
/// the lines go to <see cref="ProcessLogger"/>, which only the sharpcat program sets; a library
/// host that gives no logger hears nothing.
/// </summary>
internal static class Log
{
    private static readonly EventId Message = new(1, "SharpCat");

    /// <summary>The program's own logger, for what happens outside a relay (signals, start-up).</summary>
    internal static ILogger? ProcessLogger { get; set; }

    private static ILogger? Current => RelayContext.Current?.Logger ?? ProcessLogger;

    private static readonly AsyncLocal<int> shutup = new();

    /// <summary>
    /// socat 1.8's children-shutup: how many levels lower the messages of the running connection's
    /// relay (socat's forked child) are logged; set in that relay's async flow only.
    /// </summary>
    public static int Shutup { get => shutup.Value; set => shutup.Value = value; }

    private static Severity Lowered(Severity s) => shutup.Value == 0 ? s : (Severity)Math.Max((int)Severity.Debug, (int)s - shutup.Value);

    /// <summary>True when a message of this severity would be written: callers skip formatting otherwise.</summary>
    public static bool IsEnabled(Severity s) => Current?.IsEnabled(Lowered(s).ToLogLevel()) == true;

    /// <summary>Logs one message.</summary>
    public static void Write(Severity severity, string message)
    {
        var logger = Current;
        var level = Lowered(severity).ToLogLevel();
        if (logger is null || !logger.IsEnabled(level)) return;
        logger.Log(level, Message, message, null, static (m, _) => m);
    }

    /// <summary>Logs at debug level.</summary>
    public static void Debug(string m) => Write(Severity.Debug, m);
    /// <summary>Logs at debug level, formatting only when it is written.</summary>
    public static void Debug(ref LogMessage<DebugLevel> m) { if (m.Enabled) Write(Severity.Debug, m.Text()); }
    /// <summary>Logs at info level.</summary>
    public static void Info(string m) => Write(Severity.Info, m);
    /// <summary>Logs at info level, formatting only when it is written.</summary>
    public static void Info(ref LogMessage<InfoLevel> m) { if (m.Enabled) Write(Severity.Info, m.Text()); }
    /// <summary>Logs at notice level.</summary>
    public static void Notice(string m) => Write(Severity.Notice, m);
    /// <summary>Logs at notice level, formatting only when it is written.</summary>
    public static void Notice(ref LogMessage<NoticeLevel> m) { if (m.Enabled) Write(Severity.Notice, m.Text()); }
    /// <summary>Logs a warning.</summary>
    public static void Warn(string m) => Write(Severity.Warning, m);
    /// <summary>Logs an error.</summary>
    public static void Error(string m) => Write(Severity.Error, m);
}
