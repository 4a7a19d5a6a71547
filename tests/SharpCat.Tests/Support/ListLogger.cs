using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SharpCat.Tests.Support;

/// <summary>A logger factory that keeps every record it is given at or above a level, for a test to read.</summary>
public sealed class ListLoggerFactory(LogLevel minimum) : ILoggerFactory
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _records = new();

    public LogLevel Minimum => minimum;

    public IReadOnlyList<(LogLevel Level, string Category, string Message)> Records => [.. _records];

    public IEnumerable<string> Messages => _records.Select(r => r.Message);

    public ILogger CreateLogger(string categoryName) => new ListLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose() { }

    private sealed class ListLogger(ListLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner.Minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) owner._records.Enqueue((logLevel, category, formatter(state, exception)));
        }
    }
}
