using System.Collections;

namespace SharpCat.Diagnostics;

/// <summary>
/// The logging scope a relay opens for each connection (<see cref="Microsoft.Extensions.Logging.ILogger.BeginScope{TState}"/>):
/// lines written while it is open belong to that connection. <see cref="SocatLoggerProvider"/> puts
/// its id into JSON and RFC 5424 lines; a host's own providers see it as the field <c>ConnectionId</c>.
/// </summary>
internal readonly struct ConnectionScope(long id) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public long Id => id;

    /// <summary>The relay's scope for connection <paramref name="id"/>, or null where its logger would not show it.</summary>
    public static IDisposable? Open(Relay.RelayContext context, long id) =>
        SocatLoggerProvider.WantsConnectionScopes(context.Logger) ? context.Logger.BeginScope(new ConnectionScope(id)) : null;

    public int Count => 1;

    public KeyValuePair<string, object?> this[int index] =>
        index == 0 ? new("ConnectionId", id) : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() { yield return this[0]; }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"connection {id}";
}
