namespace SharpCat;

/// <summary>
/// An error that ends the relay with exit status 1. Its message is printed as one log line,
/// so it is written the way socat words its own errors.
/// </summary>
public class SharpCatException : Exception
{
    /// <summary>Creates the error with the text of its log line.</summary>
    public SharpCatException(string message) : base(message) { }

    /// <summary>Creates the error with the text of its log line and the failure that caused it.</summary>
    public SharpCatException(string message, Exception inner) : base(message, inner) { }
}
