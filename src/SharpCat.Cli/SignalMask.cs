using System.Runtime.InteropServices;
using SharpCat.Diagnostics;

namespace SharpCat.Cli;

/// <summary>
/// socat 1.8's <c>-S &lt;mask&gt;</c>: the signals caught only to log "exiting on signal N" and end
/// with status 128+N (bit N for signal N). A signal left out of the mask keeps its default action:
/// the process dies of it, silently.
/// </summary>
internal static class SignalMask
{
    /// <summary>socat's default set: HUP, INT, QUIT, ILL, ABRT, BUS, FPE, SEGV and TERM (0x89de).</summary>
    public const ulong Default = 1ul << 1 | 1ul << 2 | 1ul << 3 | 1ul << 4 | 1ul << 6 | 1ul << 7 | 1ul << 8 | 1ul << 11 | 1ul << 15;

    /// <summary>
    /// Signals a mask may name but that are not caught here. ILL, BUS, FPE and SEGV belong to the
    /// .NET runtime (a null reference is a SIGSEGV it turns into an exception), KILL and STOP cannot
    /// be caught, and socat itself takes PIPE (ignored), USR1 (statistics) and CHLD (its children)
    /// back from the mask.
    /// </summary>
    private const ulong NotCaught = 1ul << 4 | 1ul << 7 | 1ul << 8 | 1ul << 9 | 1ul << 10 | 1ul << 11 | 1ul << 13 | 1ul << 17 | 1ul << 19;

    /// <summary>A mask in C notation (<c>0x89de</c>, <c>035336</c>, <c>35294</c>), as socat's strtoul reads it.</summary>
    public static ulong Parse(string text)
    {
        if (!Catalog.OptionValueParser.TryParseC(text, out long mask) || mask < 0)
            throw new SharpCatException($"option -S: invalid signal mask {Shown.Token(text)} (a number, bit N for signal N, e.g. 0x89de)");
        return (ulong)mask;
    }

    /// <summary>The signals of <paramref name="mask"/> this process catches, as .NET names them.</summary>
    public static IEnumerable<PosixSignal> Caught(ulong mask)
    {
        for (int signal = 1; signal < 64; signal++)
        {
            if ((mask & ~NotCaught & 1ul << signal) == 0) continue;
            yield return signal switch
            {
                // The runtime knows these four by name (and gives them back by name to the handler).
                1 => PosixSignal.SIGHUP,
                2 => PosixSignal.SIGINT,
                3 => PosixSignal.SIGQUIT,
                15 => PosixSignal.SIGTERM,
                // Others are passed as their raw numbers.
                _ => (PosixSignal)signal,
            };
        }
    }

    /// <summary>The number of a signal a handler was given.</summary>
    public static int Number(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGHUP => 1,
        PosixSignal.SIGINT => 2,
        PosixSignal.SIGQUIT => 3,
        PosixSignal.SIGTERM => 15,
        _ => (int)signal,
    };
}
