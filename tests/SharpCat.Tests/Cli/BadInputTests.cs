using SharpCat.Tests.Support;

namespace SharpCat.Tests.Cli;

/// <summary>Each rejected input: one clear error line, exit 1, and nothing created or written.</summary>
public class BadInputTests
{
    public static TheoryData<string[], string> Cases => new()
    {
        { ["FOO:bar", "-"], "E unknown device/address \"FOO\"" },
        { ["-,bogus", "-"], "E STDIO: unknown option \"bogus\"" },
        { ["OPEN:{dir}/f,creat,fork", "-"], "E OPEN: option \"fork\" does not apply to this address type" },
        { ["-,creat", "-"], "E STDIO: option \"creat\" does not apply to this address type" },
        { ["OPEN:{dir}/f,creat,mode=abc", "-"], "E option \"mode\": invalid value \"abc\"" },
        { ["OPEN:{dir}/f,creat=maybe", "-"], "E option \"creat\": invalid value \"maybe\"" },
        { ["OPEN:{dir}/f,creat,readbytes=-1", "-"], "E option \"readbytes\": invalid value \"-1\"" },
        { ["OPEN:{dir}/f,creat,readbytes=10x", "-"], "E option \"readbytes\": invalid value \"10x\": trailing garbage after the number" },
        // socat's words, which its test.sh looks for (MISSING_INTEGER, INTEGER_GARBAGE).
        { ["-", "PTY,ispeed=b19200"], "E option \"ispeed\": invalid value \"b19200\": missing numerical value" },
        { ["-", "PTY,ispeed=19200B"], "E option \"ispeed\": invalid value \"19200B\": trailing garbage after the number" },
        { ["OPEN:{dir}/f,creat,escape=256", "-"], "E option \"escape\": invalid value \"256\"" },
        { ["OPEN:{dir}/f,creat,escape", "-"], "E option \"escape\" requires a value" },
        { ["OPEN:{dir}/f,creat,cr=1", "-"], "E option \"cr\": invalid value \"1\": this option takes no value" },
        { ["OPEN", "-"], "E OPEN: wrong number of parameters (0 instead of 1)" },
        { ["OPEN:{dir}/a:b", "-"], "E OPEN: wrong number of parameters (2 instead of 1)" },
        { ["STDIO:x", "-"], "E STDIO: wrong number of parameters (1 instead of 0)" },
        { ["OPEN:\"{dir}/f,creat", "-"], "missing closing \" quote" },
        { ["OPEN:{dir}/[f,creat", "-"], "missing ']' to close a bracket" },
        { ["!!-", "-"], "\"!!\" needs an address on each side" },
        { ["-!!", "-"], "\"!!\" needs an address on each side" },
        { ["OPEN:{dir}/a,creat!!OPEN:{dir}/b,creat!!OPEN:{dir}/c,creat", "-"], "\"!!\" may appear only once" },
        { ["-", "OPEN:{dir}/f,creat,nosuchoption"], "E OPEN: unknown option \"nosuchoption\"" },
        { ["OPENSSL-DTLS-SERVER:4433", "-"], "E OPENSSL-DTLS-SERVER: option cert is required (the server's certificate and key)" },
        { ["OPENSSL-LISTEN:4433", "-"], "E OPENSSL-LISTEN: option cert is required (the server's certificate and key)" },
        { ["OPEN:{dir}/f,creat,tcpwrap=x", "-"], "does not apply to this address type" },
        // socat takes these there, does nothing with them and ends with "1 option(s) could not be used".
        { ["-", "TCP4:127.0.0.1:9,ip-add-membership=224.1.0.1:127.0.0.1"], "sets a multicast membership or interface, which only UDP, UDPLITE and IP datagram addresses do" },
        { ["STDIO,ip-add-source-membership=232.1.1.1:127.0.0.1:127.0.0.1", "-"], "sets a multicast membership or interface, which only UDP, UDPLITE and IP datagram addresses do" },
        { ["-", "TCP4:127.0.0.1:9,ip-multicast-if=127.0.0.1"], "sets a multicast membership or interface, which only UDP, UDPLITE and IP datagram addresses do" },
        { ["-Z", "-", "-"], "E unknown option \"-Z\"" },
        { ["-b", "abc", "-", "-"], "E option -b: invalid buffer size \"abc\"" },
        { ["-b", "9223372036854775808", "-", "-"], "E buffer size option (-b) to big - 9223372036854775808 (max is 1073741824)" },
        { ["-b", "2147483648", "-", "-"], "E buffer size option (-b) to big - 2147483648 (max is 1073741824)" },
        { ["-t", "x", "-", "-"], "E option -t: invalid time \"x\"" },
        // Options of one address that contradict each other, refused before the file is created.
        { ["OPEN:{dir}/f,creat,rdonly,wronly", "-"], "E OPEN: options \"rdonly\" and \"wronly\" exclude each other" },
        { ["OPEN:{dir}/f,creat,rdwr,wronly", "-"], "E OPEN: options \"rdwr\" and \"wronly\" exclude each other" },
        { ["OPEN:{dir}/f,creat,rdonly,rdwr", "-"], "E OPEN: options \"rdonly\" and \"rdwr\" exclude each other" },
        { ["OPEN:{dir}/f,creat", "PROXY:127.0.0.1:h:80,proxyauth=a:b,proxy-authorization-file={dir}/auth"], "E PROXY: options \"proxyauth\" and \"proxy-authorization-file\" exclude each other" },
        { ["OPEN:{dir}/f,creat", "EXEC:cat,pty,pipes"], "E EXEC: options \"pty\" and \"pipes\" exclude each other" },
        // An IP version that contradicts the address type or the address given (socat: getaddrinfo fails).
        { ["OPEN:{dir}/f,creat", "TCP:127.0.0.1:1,pf=ip6"], "E TCP-CONNECT: \"127.0.0.1\" is an IPv4 address, but option \"pf=ip6\" asks for IPv6" },
        { ["OPEN:{dir}/f,creat", "TCP4:127.0.0.1:1,pf=ip6"], "E TCP4-CONNECT: option \"pf=ip6\" contradicts the address type, which is IPv4 only" },
        { ["OPEN:{dir}/f,creat", "TCP6:127.0.0.1:1"], "E TCP6-CONNECT: \"127.0.0.1\" is an IPv4 address, but TCP6-CONNECT is IPv6 only" },
        { ["OPEN:{dir}/f,creat", "UDP:[::1]:1,pf=ip4"], "E UDP-CONNECT: \"[::1]\" is an IPv6 address, but option \"pf=ip4\" asks for IPv4" },
        { ["OPEN:{dir}/f,creat", "TCP4:127.0.0.1:1,bind=::1"], "E TCP4-CONNECT: option \"bind=::1\" is an IPv6 address, but TCP4-CONNECT is IPv4 only" },
        { ["OPEN:{dir}/f,creat", "PROXY:127.0.0.1:h:80,pf=ip6"], "E PROXY: \"127.0.0.1\" is an IPv4 address, but option \"pf=ip6\" asks for IPv6" },
        { ["OPEN:{dir}/f,creat", "TCP:127.0.0.1:1,pf=ipx"], "E TCP-CONNECT: option \"pf\": unknown protocol family \"ipx\" (ip4 or ip6)" },
        // TLS files and directories checked before anything is opened (a missing capath made the handshake fail with "unknown error").
        { ["OPEN:{dir}/f,creat", "OPENSSL:127.0.0.1:1,capath={dir}/missing"], "E capath \"{dir}/missing\": No such file or directory" },
        { ["OPEN:{dir}/f,creat", "OPENSSL:127.0.0.1:1,capath=/etc/passwd"], "E capath \"/etc/passwd\": Not a directory" },
        { ["OPEN:{dir}/f,creat", "OPENSSL:127.0.0.1:1,cafile={dir}/missing"], "E cafile \"{dir}/missing\": No such file or directory" },
        { ["OPEN:{dir}/f,creat", "OPENSSL:127.0.0.1:1,cafile=/etc"], "E cafile \"/etc\": Is a directory" },
        { ["OPEN:{dir}/f,creat", "OPENSSL:127.0.0.1:1,cert={dir}/missing"], "E cert \"{dir}/missing\": No such file or directory" },
        { ["OPEN:{dir}/f,creat", "OPENSSL:127.0.0.1:1,cert=/etc/passwd,key={dir}/missing"], "E key \"{dir}/missing\": No such file or directory" },
        { ["OPEN:{dir}/f,creat", "OPENSSL:127.0.0.1:1,dhparams={dir}/missing"], "E dhparams \"{dir}/missing\": No such file or directory" },
        { ["OPEN:{dir}/f,creat", "OPENSSL-DTLS-CLIENT:127.0.0.1:1,capath={dir}/missing"], "E capath \"{dir}/missing\": No such file or directory" },
        // Garbage and over-long tokens: the message says what is wrong, and quotes a long token cut short.
        { ["-dx", "-", "-"], "E unknown option \"-dx\": unexpected text \"x\" after -d;" },
        { ["-d5", "-", "-"], "E unknown option \"-d5\": after -d comes more d's or one level 0 to 4" },
        { ["-ddx", "-", "-"], "E unknown option \"-ddx\": unexpected text \"x\" after -dd;" },
        { ["-vv", "-", "-"], "E unknown option \"-vv\": unexpected text \"v\" after -v;" },
        { ["-hx", "-", "-"], "E unknown option \"-hx\": unexpected text \"x\" after -h;" },
        { [new string('A', 10000), "-"], "E address type \"" + new string('A', 40) + "…\" (10000 characters) is too long: no address type has more than" },
        { ["OPEN:{dir}/f,creat," + new string('o', 10000), "-"], "E OPEN: option name \"" + new string('o', 40) + "…\" (10000 characters) is too long: no option name has more than" },
        { ["OPEN:{dir}/f,creat,mode=" + new string('9', 10000), "-"], "E option \"mode\": invalid value \"" + new string('9', 40) + "…\" (10000 characters): expected an octal mode" },
        { ["-,bo\ngus", "-"], "E STDIO: unknown option \"bo\\ngus\"" },
        // Global options that exclude each other: refused before any lock or log file is made.
        { ["-L", "{dir}/a", "-W", "{dir}/b", "-", "-"], "E only one -L and -W option allowed" },
        { ["-W", "{dir}/a", "-L", "{dir}/b", "-", "-"], "E only one -L and -W option allowed" },
        { ["-L", "{dir}/a", "-L", "{dir}/b", "-", "-"], "E only one -L and -W option allowed" },
        { ["-4", "-6", "-", "-"], "E -4 and -6 must not be combined" },
        { ["-ls", "-lf", "{dir}/log", "-", "-"], "E option \"-lf\": only one log destination (-lf, -ly, -lm, -ls) allowed, \"-ls\" was given before" },
        { ["-"], "E exactly 2 addresses required (there are 1)" },
        { ["-", "-", "-"], "E exactly 2 addresses required (there are 3)" },
        { ["OPEN:{dir}/missing/f", "-"], "E open(\"{dir}/missing/f\", 02, 0666): No such file or directory" },
        // Numbers out of the range their field can hold or that means anything (DESIGN.md §4b).
        { ["OPEN:{dir}/f,creat", "TCP:127.0.0.1:1,rcvbuf=-5"], "E option \"rcvbuf\": invalid value \"-5\": out of range 0..2147483647" },
        { ["OPEN:{dir}/f,creat", "TCP:127.0.0.1:1,sndbuf=-1"], "E option \"sndbuf\": invalid value \"-1\": out of range 0..2147483647" },
        { ["TCP-LISTEN:0,fork,max-children=-1", "OPEN:{dir}/f,creat"], "E option \"max-children\": invalid value \"-1\": out of range 0..2147483647" },
        { ["TCP-LISTEN:0,backlog=-3", "OPEN:{dir}/f,creat"], "E option \"backlog\": invalid value \"-3\": out of range 0..2147483647" },
        { ["OPEN:{dir}/f,creat", "TCP:127.0.0.1:1,ttl=256"], "E option \"ttl\": invalid value \"256\": out of range 1..255" },
        { ["OPEN:{dir}/f,creat", "TCP:127.0.0.1:1,tos=-1"], "E option \"tos\": invalid value \"-1\": out of range 0..255" },
        { ["OPEN:{dir}/f,creat", "TCP:127.0.0.1:1,nodelay=2"], "E option \"nodelay\": invalid value \"2\": out of range 0..1" },
        { ["OPEN:{dir}/f,creat", "TCP:127.0.0.1:1,keepcnt=0"], "E option \"keepcnt\": invalid value \"0\": out of range 1..127" },
        { ["OPEN:{dir}/f,creat", "TCP:127.0.0.1:1,mss=70000"], "E option \"mss\": invalid value \"70000\": out of range 0..65535" },
        { ["OPEN:{dir}/f,creat", "UDP:127.0.0.1:1,mtudiscover=9"], "E option \"mtudiscover\": invalid value \"9\": out of range 0..5" },
        { ["OPEN:{dir}/f,creat,ftruncate=-1", "-"], "E option \"ftruncate\": invalid value \"-1\": out of range 0..9223372036854775807" },
        { ["OPEN:{dir}/f,creat,seek=-1", "-"], "E option \"seek\": invalid value \"-1\": out of range 0..9223372036854775807" },
        { ["OPEN:{dir}/f,creat,umask=01000", "-"], "E option \"umask\": invalid value \"01000\": umask out of range 0..0777" },
        { ["OPEN:{dir}/f,creat,csize=4", "-"], "E option \"csize\": invalid value \"4\": out of range 0..3" },
        { ["OPEN:{dir}/f,creat,ispeed=12345", "-"], "E option \"ispeed\": invalid value \"12345\": not a line speed this system knows" },
        { ["OPEN:{dir}/f,creat", "EXEC:true,setpgid=-2"], "E option \"setpgid\": invalid value \"-2\": out of range 0..2147483647" },
        // socat 1.8's SOCKETPAIR.
        { ["-", "SOCKETPAIR:{dir}/x"], "E SOCKETPAIR: wrong number of parameters (1 instead of 0)" },
        { ["-", "SOCKETPAIR,socktype=11"], "E option \"socktype\": invalid value \"11\": out of range 1..10" },
        { ["-", "SOCKETPAIR,bind={dir}/x"], "E SOCKETPAIR: option \"bind\" cannot be used on a socket pair" },
        { ["-", "SOCKETPAIR,pf=ip4"], "E SOCKETPAIR: option \"pf\" cannot be used on a socket pair" },
        // socat 1.8's ACCEPT-FD.
        { ["ACCEPT-FD:-1", "-"], "E ACCEPT-FD: invalid file descriptor \"-1\"" },
        { ["ACCEPT-FD:3,connect-timeout=1", "-"], "E ACCEPT-FD: option \"connect-timeout\" cannot be used on an inherited listening socket" },
        { ["ACCEPT-FD:3,unlink-early", "-"], "E ACCEPT-FD: option \"unlink-early\" does not apply to this address type" },
        // socat 1.8's POSIXMQ-*: refused before any queue is opened or created.
        { ["POSIXMQ-READ", "-"], "E POSIXMQ-READ: wrong number of parameters (0 instead of 1)" },
        { ["POSIXMQ-READ:/sharpcat-bad,mq-prio=1", "-"], "E POSIXMQ-READ: option \"mq-prio\" sets the priority of messages sent" },
        { ["-", "POSIXMQ-SEND:/sharpcat-bad,mq-prio=32768"], "E option \"mq-prio\": invalid value \"32768\": out of range 0..32767" },
        { ["-", "POSIXMQ-SEND:/sharpcat-bad,mq-msgsize=0"], "E option \"mq-msgsize\": invalid value \"0\": out of range 1..2147483647" },
        { ["-", "POSIXMQ-SEND:/sharpcat-bad,mq-maxmsg=10x"], "E option \"mq-maxmsg\": invalid value \"10x\": trailing garbage after the number" },
        { ["-", "POSIXMQ:/sharpcat-bad,o-nonblock"], "E POSIXMQ-BIDIRECTIONAL: option \"o-nonblock\" is not supported" },
        { ["-", "POSIXMQ-WRITE:/sharpcat-bad,o-trunc"], "E POSIXMQ-WRITE: option \"o-trunc\" cannot be used on a message queue" },
        { ["-", "POSIXMQ:/sharpcat-bad,fork"], "E POSIXMQ-BIDIRECTIONAL: option \"fork\" does not apply to this address type" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task RejectedWithOneClearMessage(string[] args, string expected)
    {
        using var dir = new TempDir();
        string[] expanded = args.Select(a => a.Replace("{dir}", dir.Path)).ToArray();
        var r = await Run.SharpCatAsync(expanded);
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.LogLines);
        Assert.Contains(expected.Replace("{dir}", dir.Path), r.LogLines[0]);
        Assert.StartsWith("E ", r.LogLines[0]);
        Assert.Empty(r.Stdout);
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public async Task ExclOnExistingFileFailsAndLeavesItAlone()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["f"], "keep");
        var r = await Run.SharpCatAsync("hello"u8.ToArray(), "-", $"OPEN:{dir["f"]},creat,excl");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"E open(\"{dir["f"]}\", 0302, 0666): File exists", r.LogLines.Single());
        Assert.Equal("keep", File.ReadAllText(dir["f"]));
    }

    [Fact]
    public async Task ExclWithTruncButWithoutCreatLeavesAnExistingFileAlone()
    {
        // open(2) ignores O_EXCL without O_CREAT: this would empty the file.
        using var dir = new TempDir();
        File.WriteAllText(dir["f"], "keep");
        var r = await Run.SharpCatAsync("hello"u8.ToArray(), "-u", "-", $"OPEN:{dir["f"]},excl,trunc");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("E OPEN: option \"excl\" without \"creat\" does not protect an existing file from \"trunc\"", r.LogLines.Single());
        Assert.Equal("keep", File.ReadAllText(dir["f"]));
    }

    [Fact]
    public async Task HeldLockFailsWithDashL()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["lock"], "1\n");
        var r = await Run.SharpCatAsync("x"u8.ToArray(), "-L", dir["lock"], "-", $"OPEN:{dir["out"]},creat");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"could not obtain lock \"{dir["lock"]}\"", r.LogLines.Single());
        Assert.Equal(["lock"], dir.Entries());
    }

    [Fact]
    public async Task HeldLockDoesNotDelayARefusedCommandLine()
    {
        // -W waits for a lock only once the addresses are known to be good: a bad one is reported at once.
        using var dir = new TempDir();
        File.WriteAllText(dir["lock"], "1\n");
        var r = await Run.SharpCatAsync("-W", dir["lock"], "FOO:x", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("E unknown device/address \"FOO\"", r.LogLines.Single());
        Assert.Equal("1\n", File.ReadAllText(dir["lock"]));
    }

    [Fact]
    public async Task SecondAddressErrorOpensNothing()
    {
        using var dir = new TempDir();
        var r = await Run.SharpCatAsync($"OPEN:{dir["a"]},creat", $"OPEN:{dir["b"]},creat,bogus");
        Assert.Equal(1, r.ExitCode);
        Assert.Empty(dir.Entries());
    }
}
