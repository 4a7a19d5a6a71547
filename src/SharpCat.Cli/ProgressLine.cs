using System.Globalization;
using System.Text;
using SharpCat.Catalog;
using SharpCat.Native;

namespace SharpCat.Cli;

/// <summary>
/// <c>--progress</c>: like pv, a line on the terminal that is stderr, rewritten once a second with
/// the bytes moved each way, the current rate, and the share done and time left where the source's
/// size is known (a regular file as the reading address, or as stdin). Nothing when stderr is not
/// a terminal: the line is for a person watching, not for a log.
/// </summary>
internal sealed class ProgressLine : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly RelayHost _relay;
    private readonly RelayDirection _direction;
    private readonly long? _leftSize, _rightSize;
    private readonly long _started = Environment.TickCount64;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _ticking;
    private long _lastLeft, _lastRight, _lastTick;

    private ProgressLine(RelayHost relay, RelayDirection direction, long? leftSize, long? rightSize)
    {
        _relay = relay;
        _direction = direction;
        _leftSize = leftSize;
        _rightSize = rightSize;
        _lastTick = _started;
        _ticking = TickAsync();
    }

    /// <summary>
    /// What the line counts down from, measured before the relay starts: a read-write OPEN of a
    /// file grows as the other way writes into it, and the share done is of what was there.
    /// Null when stderr is not a terminal.
    /// </summary>
    public static (long? Left, long? Right)? Measure(RelayHost relay)
    {
        if (!Termios.IsTerminal(2)) return null;
        var plan = relay.Plan;
        // With fork each connection moves its own share: no one size to count down from.
        if (plan.ForkSide != 0) return (null, null);
        return (SourceSize(plan.Left.Read), SourceSize(plan.Right.Read));
    }

    /// <summary>Starts the line with the sizes <see cref="Measure"/> found.</summary>
    public static ProgressLine Start(RelayHost relay, (long? Left, long? Right) sizes) =>
        new(relay, relay.Plan.Options.Direction, sizes.Left, sizes.Right);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _ticking.ConfigureAwait(false);
        Write(Line(final: true) + "\n");
        _stop.Dispose();
    }

    private async Task TickAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                Write(Line(final: false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private string Line(bool final)
    {
        var s = _relay.Statistics;
        long now = Environment.TickCount64;
        double sinceTick = Math.Max(1, now - _lastTick) / 1000.0, elapsed = Math.Max(1, now - _started) / 1000.0;
        var sb = new StringBuilder("\r").Append(Clock(elapsed));
        if (_direction != RelayDirection.RightToLeft)
            Way(sb, '>', s.BytesLeftToRight, final ? s.BytesLeftToRight / elapsed : (s.BytesLeftToRight - _lastLeft) / sinceTick, _leftSize, elapsed);
        if (_direction != RelayDirection.LeftToRight)
            Way(sb, '<', s.BytesRightToLeft, final ? s.BytesRightToLeft / elapsed : (s.BytesRightToLeft - _lastRight) / sinceTick, _rightSize, elapsed);
        _lastLeft = s.BytesLeftToRight;
        _lastRight = s.BytesRightToLeft;
        _lastTick = now;
        return sb.Append("\x1b[K").ToString(); // erase what a longer line left behind
    }

    private static void Way(StringBuilder sb, char arrow, long bytes, double rate, long? size, double elapsed)
    {
        sb.Append("  ").Append(arrow).Append(' ').Append(Bytes(bytes)).Append(" [").Append(Bytes((long)rate)).Append("/s]");
        if (size is not { } total || total <= 0) return;
        long done = Math.Min(bytes, total);
        sb.Append(' ').Append((done * 100 / total).ToString(CultureInfo.InvariantCulture)).Append('%');
        // The time left from the average rate so far, as pv's ETA.
        if (done < total && done > 0) sb.Append(" ETA ").Append(Clock(Math.Ceiling((total - done) / (done / elapsed))));
    }

    private static string Clock(double seconds)
    {
        long s = (long)seconds;
        return string.Create(CultureInfo.InvariantCulture, $"{s / 3600}:{s / 60 % 60:D2}:{s % 60:D2}");
    }

    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB"];

    private static string Bytes(long n)
    {
        if (n < 1024) return string.Create(CultureInfo.InvariantCulture, $"{n} B");
        double v = n;
        int unit = 0;
        while (v >= 1024 && unit < Units.Length - 1) { v /= 1024; unit++; }
        return string.Create(CultureInfo.InvariantCulture, $"{v:0.0} {Units[unit]}");
    }

    private static void Write(string text)
    {
        try { Posix.WriteAll(2, Encoding.UTF8.GetBytes(text)); } catch (PosixException) { }
    }

    /// <summary>
    /// The bytes an address will read, when it reads a regular file from its start: stdin or an
    /// FD that is one, or a file that OPEN or GOPEN opens without options that move or cut it.
    /// </summary>
    private static long? SourceSize(ResolvedAddress a)
    {
        var parameters = a.Spec.Parameters;
        string keyword = a.Kind.Keyword;
        if (keyword is "stdio" or "stdin") return FileSize(0);
        if (keyword == "fd" && parameters.Count == 1 && int.TryParse(parameters[0], CultureInfo.InvariantCulture, out int fd)) return FileSize(fd);
        if (keyword is not ("open" or "gopen") || parameters.Count != 1) return null;
        // Canonical names: seek and lseek are lseek64-set; trunc is o-trunc; ftruncate32/64.
        foreach (var o in a.Options.Items)
            if (o.Def.Name.StartsWith("lseek", StringComparison.Ordinal) || o.Def.Name.Contains("trunc", StringComparison.Ordinal)) return null;
        return Posix.TryStat(parameters[0], out var st) && IsRegular(st.Mode) ? st.Size : null;
    }

    private static long? FileSize(int fd)
    {
        try
        {
            var st = Posix.FStat(fd);
            return IsRegular(st.Mode) ? st.Size : null;
        }
        catch (PosixException)
        {
            return null;
        }
    }

    private static bool IsRegular(uint mode) => (mode & 0xF000) == 0x8000;
}
