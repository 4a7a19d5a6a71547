using System.Runtime.CompilerServices;

namespace SharpCat.Diagnostics;

// Interpolated-string handlers for the levels that are usually off: `Log.Notice($"… {x}")` formats
// nothing unless notices are printed. A relay logs several such lines per connection, and with
// fork their strings were most of the garbage of an accepted connection.

/// <summary>Builds a debug message only when debug messages are printed.</summary>
[InterpolatedStringHandler]
public ref struct DebugMessage
{
    private DefaultInterpolatedStringHandler _text;

    /// <summary>Called by the compiler for <c>Log.Debug($"…")</c>.</summary>
    public DebugMessage(int literalLength, int formattedCount, out bool enabled) =>
        _text = (enabled = Log.IsEnabled(Severity.Debug)) ? new(literalLength, formattedCount) : default;

    /// <summary>Appends literal text.</summary>
    public void AppendLiteral(string s) => _text.AppendLiteral(s);
    /// <summary>Appends a value.</summary>
    public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);
    /// <summary>Appends a value with a format.</summary>
    public void AppendFormatted<T>(T value, string? format) => _text.AppendFormatted(value, format);
    /// <summary>Appends a value padded to a width.</summary>
    public void AppendFormatted<T>(T value, int alignment) => _text.AppendFormatted(value, alignment);
    /// <summary>Returns the message and frees the handler's buffer.</summary>
    internal string Text() => _text.ToStringAndClear();
}

/// <summary>Builds an info message only when info messages are printed.</summary>
[InterpolatedStringHandler]
public ref struct InfoMessage
{
    private DefaultInterpolatedStringHandler _text;

    /// <summary>Called by the compiler for <c>Log.Info($"…")</c>.</summary>
    public InfoMessage(int literalLength, int formattedCount, out bool enabled) =>
        _text = (enabled = Log.IsEnabled(Severity.Info)) ? new(literalLength, formattedCount) : default;

    /// <summary>Appends literal text.</summary>
    public void AppendLiteral(string s) => _text.AppendLiteral(s);
    /// <summary>Appends a value.</summary>
    public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);
    /// <summary>Appends a value with a format.</summary>
    public void AppendFormatted<T>(T value, string? format) => _text.AppendFormatted(value, format);
    /// <summary>Appends a value padded to a width.</summary>
    public void AppendFormatted<T>(T value, int alignment) => _text.AppendFormatted(value, alignment);
    /// <summary>Returns the message and frees the handler's buffer.</summary>
    internal string Text() => _text.ToStringAndClear();
}

/// <summary>Builds a notice only when notices are printed.</summary>
[InterpolatedStringHandler]
public ref struct NoticeMessage
{
    private DefaultInterpolatedStringHandler _text;

    /// <summary>Called by the compiler for <c>Log.Notice($"…")</c>.</summary>
    public NoticeMessage(int literalLength, int formattedCount, out bool enabled) =>
        _text = (enabled = Log.IsEnabled(Severity.Notice)) ? new(literalLength, formattedCount) : default;

    /// <summary>Appends literal text.</summary>
    public void AppendLiteral(string s) => _text.AppendLiteral(s);
    /// <summary>Appends a value.</summary>
    public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);
    /// <summary>Appends a value with a format.</summary>
    public void AppendFormatted<T>(T value, string? format) => _text.AppendFormatted(value, format);
    /// <summary>Appends a value padded to a width.</summary>
    public void AppendFormatted<T>(T value, int alignment) => _text.AppendFormatted(value, alignment);
    /// <summary>Returns the message and frees the handler's buffer.</summary>
    internal string Text() => _text.ToStringAndClear();
}
