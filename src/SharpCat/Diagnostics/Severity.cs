using Microsoft.Extensions.Logging;

namespace SharpCat.Diagnostics;

/// <summary>socat's message severities, lowest first.</summary>
internal enum Severity
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

/// <summary>
/// socat's six levels on Microsoft.Extensions.Logging's: notices (each connection, each step) are
/// Information, so a host's default level shows what <c>-d -d</c> shows, and its D level is Trace.
/// </summary>
internal static class Severities
{
    public static LogLevel ToLogLevel(this Severity s) => (LogLevel)(int)s;

    /// <summary>The single letter socat prints for a level.</summary>
    public static char Letter(LogLevel level) => level is >= LogLevel.Trace and <= LogLevel.Critical ? "DINWEF"[(int)level] : '?';

    /// <summary>The level that <c>-d</c> given <paramref name="count"/> times prints down to: E and F without it.</summary>
    public static LogLevel FromDebugCount(int count) => (LogLevel)Math.Max((int)LogLevel.Trace, (int)LogLevel.Error - count);
}
