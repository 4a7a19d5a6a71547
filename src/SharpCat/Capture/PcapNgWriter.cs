using System.Buffers.Binary;
using System.Text;
using SharpCat.Diagnostics;
using SharpCat.Native;

namespace SharpCat.Capture;

/// <summary>
/// The <c>--pcap</c> file (<see cref="RelayOptions.CaptureFile"/>): a pcapng section with one raw-IP
/// interface (LINKTYPE_RAW, so each packet is an IPv4 or IPv6 packet with no link header), then one
/// Enhanced Packet Block per packet. One per relay; with fork, every connection's packets go through
/// its one lock, so blocks never interleave. A failing write (disk full) is one warning, and the
/// capture stops while the relay goes on.
/// </summary>
internal sealed class PcapNgWriter : IDisposable
{
    /// <summary>The largest IP packet: a 16-bit total length (IPv4) or payload length (IPv6, plus its header).</summary>
    public const int MaxPacket = 65535 + 40;
    private const int EnhancedPacketHeader = 28, MaxComment = 1024;
    private const uint SectionHeaderType = 0x0A0D0D0A, InterfaceType = 1, EnhancedPacketType = 6;
    private const ushort LinkTypeRaw = 101, OptEnd = 0, OptComment = 1, ShbUserAppl = 4, IfName = 2, IfTsResol = 9;

    // Written with write(2) directly: a failure is a PosixException with its errno, whatever it is
    // (FileStream turns EFBIG, a file size limit, into an ArgumentOutOfRangeException).
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _file;
    private readonly int _fd;
    private readonly string _path;
    // The block being built: header, packet, options, trailer; reused for every packet (under Gate).
    private readonly byte[] _block = new byte[EnhancedPacketHeader + MaxPacket + 4 + MaxComment + 16];
    private bool _failed;

    /// <summary>Held while a packet is built in <see cref="PacketSpace"/> and written.</summary>
    public Lock Gate { get; } = new();

    private PcapNgWriter(Microsoft.Win32.SafeHandles.SafeFileHandle file, int fd, string path)
    {
        _file = file;
        _fd = fd;
        _path = path;
    }

    /// <summary>Creates (or empties) the file and writes the section's and the interface's headers.</summary>
    /// <exception cref="SharpCatException">The file cannot be created or written: before anything is opened.</exception>
    public static PcapNgWriter Open(string path)
    {
        int fd = Libc.Open(path, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_TRUNC | Posix.O_CLOEXEC, 0x1A4);
        if (fd < 0) throw new SharpCatException($"option --pcap \"{path}\": {Posix.StrError(Posix.Errno)}");
        var writer = new PcapNgWriter(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), fd, path);
        try
        {
            writer.WriteHeaders();
        }
        catch (PosixException e)
        {
            writer.Dispose();
            throw new SharpCatException($"option --pcap \"{path}\": {Posix.StrError(e.Errno)}", e);
        }
        return writer;
    }

    private void WriteHeaders()
    {
        var shb = new BlockBuilder(SectionHeaderType);
        shb.UInt32(0x1A2B3C4D);          // byte-order magic: this file is little-endian
        shb.UInt16(1).UInt16(0);         // version 1.0
        shb.UInt64(ulong.MaxValue);      // section length: not given
        shb.Option(ShbUserAppl, "SharpCat");
        shb.Option(OptComment, "data as SharpCat wrote it to each sink; handshakes, ACKs and ends are synthesized");
        Posix.WriteAll(_fd, shb.Finish());
        var idb = new BlockBuilder(InterfaceType);
        idb.UInt16(LinkTypeRaw).UInt16(0).UInt32(0);   // link type, reserved, no snap length
        idb.Option(IfName, "sharpcat");
        idb.Option(IfTsResol, [6]);                     // microseconds (the default, said outright)
        Posix.WriteAll(_fd, idb.Finish());
    }

    /// <summary>Where a packet is built; valid only under <see cref="Gate"/>, until <see cref="Append"/>.</summary>
    public Span<byte> PacketSpace => _block.AsSpan(EnhancedPacketHeader, MaxPacket);

    /// <summary>Writes the packet built in <see cref="PacketSpace"/>, with an optional comment. Under <see cref="Gate"/>.</summary>
    public void Append(int packetLength, string? comment = null)
    {
        if (_failed) return;
        long micros = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
        var b = _block.AsSpan();
        int at = EnhancedPacketHeader + Pad4(packetLength);
        b[(EnhancedPacketHeader + packetLength)..at].Clear();
        if (comment is not null)
        {
            int n = Encoding.UTF8.GetBytes(comment.AsSpan(0, Math.Min(comment.Length, MaxComment / 4)), b[(at + 4)..]);
            BinaryPrimitives.WriteUInt16LittleEndian(b[at..], OptComment);
            BinaryPrimitives.WriteUInt16LittleEndian(b[(at + 2)..], (ushort)n);
            b[(at + 4 + n)..(at + 4 + Pad4(n))].Clear();
            at += 4 + Pad4(n);
            BinaryPrimitives.WriteUInt32LittleEndian(b[at..], OptEnd);
            at += 4;
        }
        int total = at + 4;
        BinaryPrimitives.WriteUInt32LittleEndian(b, EnhancedPacketType);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], (uint)total);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], 0);                      // interface 0
        BinaryPrimitives.WriteUInt32LittleEndian(b[12..], (uint)(micros >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(b[16..], (uint)micros);
        BinaryPrimitives.WriteUInt32LittleEndian(b[20..], (uint)packetLength);   // captured
        BinaryPrimitives.WriteUInt32LittleEndian(b[24..], (uint)packetLength);   // on the wire
        BinaryPrimitives.WriteUInt32LittleEndian(b[at..], (uint)total);
        try
        {
            Posix.WriteAll(_fd, _block.AsSpan(0, total));
        }
        catch (PosixException e)
        {
            // The relay matters more than its capture: say so once, and stop capturing.
            _failed = true;
            Log.Warn($"--pcap \"{_path}\": {e.Message}: capture stops here, the relay goes on");
        }
    }

    private static int Pad4(int n) => (n + 3) & ~3;

    public void Dispose() => _file.Dispose();

    /// <summary>A small header block (section, interface): body then options, in a fresh buffer.</summary>
    private sealed class BlockBuilder
    {
        private readonly MemoryStream _body = new();

        public BlockBuilder(uint type)
        {
            UInt32(type).UInt32(0);   // total length, filled in by Finish
        }

        public BlockBuilder UInt16(ushort v) { Span<byte> s = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(s, v); _body.Write(s); return this; }

        public BlockBuilder UInt32(uint v) { Span<byte> s = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(s, v); _body.Write(s); return this; }

        public BlockBuilder UInt64(ulong v) { Span<byte> s = stackalloc byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(s, v); _body.Write(s); return this; }

        public void Option(ushort code, string value) => Option(code, Encoding.UTF8.GetBytes(value));

        public void Option(ushort code, byte[] value)
        {
            UInt16(code).UInt16((ushort)value.Length);
            _body.Write(value);
            for (int i = value.Length; i % 4 != 0; i++) _body.WriteByte(0);
        }

        public byte[] Finish()
        {
            UInt32(OptEnd);
            int total = (int)_body.Length + 4;
            UInt32((uint)total);
            byte[] block = _body.ToArray();
            BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(4), (uint)total);
            return block;
        }
    }
}
