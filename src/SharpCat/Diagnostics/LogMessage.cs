using System.Runtime.CompilerServices;

namespace SharpCat.Diagnostics;

// An interpolated-string handler for the levels that are usually off: `Log.Notice($"… {x}")`
// formats nothing unless notices are written. A relay logs several such lines per connection, and
// with fork their strings were most of the garbage of an accepted connection.

/// <summary>A log level as a type, so that one handler serves every level.</summary>
internal interface ILogLevel
{
    /// <summary>The severity the level stands for.</summary>
    static abstract Severity Severity { get; }
}

/// <summary>The debug level.</summary>
internal readonly struct DebugLevel : ILogLevel
{
    public static Severity Severity => Severity.Debug;
}

/// <summary>The info level.</summary>
internal readonly struct InfoLevel : ILogLevel
{
    public static Severity Severity => Severity.Info;
}

/// <summary>The notice level.</summary>
internal readonly struct NoticeLevel : ILogLevel
{
    public static Severity Severity => Severity.Notice;
}

/// <summary>Builds a message only when its level is written.</summary>
[InterpolatedStringHandler]
internal ref struct LogMessage<TLevel> where TLevel : ILogLevel
{
    private DefaultInterpolatedStringHandler _text;

    /// <summary>Called by the compiler for <c>Log.Notice($"…")</c> and the like.</summary>
    public LogMessage(int literalLength, int formattedCount, out bool enabled)
    {
        _text = (Enabled = enabled = Log.IsEnabled(TLevel.Severity)) ? new(literalLength, formattedCount) : default;
    }

    /// <summary>True when the level is written (decided once, when the message began).</summary>
    public bool Enabled { get; }

    public void AppendLiteral(string s) => _text.AppendLiteral(s);
    public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);
    public void AppendFormatted<T>(T value, string? format) => _text.AppendFormatted(value, format);
    public void AppendFormatted<T>(T value, int alignment) => _text.AppendFormatted(value, alignment);

    /// <summary>Returns the message and frees the handler's buffer.</summary>
    internal string Text() => _text.ToStringAndClear();
}
