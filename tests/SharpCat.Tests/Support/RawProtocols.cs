namespace SharpCat.Tests.Support;

/// <summary>
/// An IP protocol number no other test of this run uses: a raw socket receives every packet of its
/// protocol on the machine, so tests running side by side would see each other's packets.
/// </summary>
public static class RawProtocols
{
    // 151 to 252: unassigned numbers, below the two RFC 3692 experimental ones (253, 254) tests name on purpose.
    private static int s_last = 150;

    public static int Next()
    {
        int protocol = Interlocked.Increment(ref s_last);
        return protocol <= 252 ? protocol : throw new InvalidOperationException("out of unassigned IP protocol numbers");
    }
}
