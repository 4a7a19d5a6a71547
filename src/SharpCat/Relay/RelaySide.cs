namespace SharpCat.Relay;

/// <summary>Which address a direction reads from: the first (left) or the second (right).</summary>
internal enum RelaySide
{
    /// <summary>The first address; its data goes left to right (<c>&gt;</c> in <c>-v</c>).</summary>
    Left,
    /// <summary>The second address; its data goes right to left (<c>&lt;</c>).</summary>
    Right,
}
