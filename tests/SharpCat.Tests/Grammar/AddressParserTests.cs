using SharpCat.Grammar;

namespace SharpCat.Tests.Grammar;

/// <summary>
/// The address grammar, case by case. Each parsed address is rendered as one canonical line:
/// <c>KEYWORD|param1|param2 ,opt1=value ,opt2</c>, and a dual address as <c>READ !! WRITE</c>.
/// Parameters follow <c>|</c>, options follow <c> ,</c>; an option written <c>name=</c>
/// renders as <c>name=</c> (empty value), one written <c>name</c> as just <c>name</c>.
/// </summary>
public class AddressParserTests
{
    /// <summary>
    /// Every address of every command line in the EXAMPLES section of <c>man socat</c> (1.7.4),
    /// as the shell hands it to socat: quotes the shell removes are gone, <c>$HOME</c> is taken
    /// to be <c>/home/user</c>, and the man page's typographic <c>\(cq</c> quotes are read as
    /// ASCII <c>'</c>. Expectations are socat's own splitting (checked with <c>socat -d -d -d -d</c>
    /// where that could be done locally), including where the manual's example is itself odd.
    /// </summary>
    public static TheoryData<string, string, string> ManPageExamples => new()
    {
        // socat - TCP4:www.domain.org:80
        { "man 1a", "-", "STDIO" },
        { "man 1b", "TCP4:www.domain.org:80", "TCP4|www.domain.org|80" },
        // socat -d -d READLINE,history=$HOME/.http_history TCP4:www.domain.org:www,crnl
        { "man 2a", "READLINE,history=/home/user/.http_history", "READLINE ,history=/home/user/.http_history" },
        { "man 2b", "TCP4:www.domain.org:www,crnl", "TCP4|www.domain.org|www ,crnl" },
        // socat TCP4-LISTEN:www TCP4:www.domain.org:www
        { "man 3a", "TCP4-LISTEN:www", "TCP4-LISTEN|www" },
        { "man 3b", "TCP4:www.domain.org:www", "TCP4|www.domain.org|www" },
        // socat -d -d -lmlocal2 TCP4-LISTEN:80,bind=... TCP4:www.domain.org:80,bind=myaddr2
        { "man 4a", "TCP4-LISTEN:80,bind=myaddr1,reuseaddr,fork,su=nobody,range=10.0.0.0/8",
          "TCP4-LISTEN|80 ,bind=myaddr1 ,reuseaddr ,fork ,su=nobody ,range=10.0.0.0/8" },
        { "man 4b", "TCP4:www.domain.org:80,bind=myaddr2", "TCP4|www.domain.org|80 ,bind=myaddr2" },
        // socat TCP4-LISTEN:5555,fork,tcpwrap=script EXEC:/bin/myscript,...
        { "man 5a", "TCP4-LISTEN:5555,fork,tcpwrap=script", "TCP4-LISTEN|5555 ,fork ,tcpwrap=script" },
        { "man 5b", "EXEC:/bin/myscript,chroot=/home/sandbox,su-d=sandbox,pty,stderr",
          "EXEC|/bin/myscript ,chroot=/home/sandbox ,su-d=sandbox ,pty ,stderr" },
        // socat EXEC:"mail.sh target@domain.com",fdin=3,fdout=4 TCP4:mail.relay.org:25,...
        { "man 6a", "EXEC:mail.sh target@domain.com,fdin=3,fdout=4", "EXEC|mail.sh target@domain.com ,fdin=3 ,fdout=4" },
        { "man 6b", "TCP4:mail.relay.org:25,crnl,bind=alias1.server.org,mss=512",
          "TCP4|mail.relay.org|25 ,crnl ,bind=alias1.server.org ,mss=512" },
        // socat -,escape=0x0f /dev/ttyS0,rawer,crnl
        { "man 7a", "-,escape=0x0f", "STDIO ,escape=0x0f" },
        { "man 7b", "/dev/ttyS0,rawer,crnl", "GOPEN|/dev/ttyS0 ,rawer ,crnl" },
        // socat UNIX-LISTEN:/tmp/.X11-unix/X1,fork SOCKS4:host.victim.org:127.0.0.1:6000,...
        { "man 8a", "UNIX-LISTEN:/tmp/.X11-unix/X1,fork", "UNIX-LISTEN|/tmp/.X11-unix/X1 ,fork" },
        { "man 8b", "SOCKS4:host.victim.org:127.0.0.1:6000,socksuser=nobody,sourceport=20",
          "SOCKS4|host.victim.org|127.0.0.1|6000 ,socksuser=nobody ,sourceport=20" },
        // socat -u /tmp/readdata,seek-end=0,ignoreeof -
        { "man 9a", "/tmp/readdata,seek-end=0,ignoreeof", "GOPEN|/tmp/readdata ,seek-end=0 ,ignoreeof" },
        { "man 9b", "-", "STDIO" },
        // (...) | socat - EXEC:'ssh -l user server',pty,setsid,ctty
        { "man 10a", "-", "STDIO" },
        { "man 10b", "EXEC:ssh -l user server,pty,setsid,ctty", "EXEC|ssh -l user server ,pty ,setsid ,ctty" },
        // socat -u TCP4-LISTEN:3334,reuseaddr,fork OPEN:/tmp/in.log,creat,append
        { "man 11a", "TCP4-LISTEN:3334,reuseaddr,fork", "TCP4-LISTEN|3334 ,reuseaddr ,fork" },
        { "man 11b", "OPEN:/tmp/in.log,creat,append", "OPEN|/tmp/in.log ,creat ,append" },
        // socat PTY,link=$HOME/dev/vmodem0,rawer,wait-slave EXEC:"ssh modemserver.us.org socat - /dev/ttyS0,nonblock,rawer"
        // The shell eats the double quotes, so socat itself splits the inner commas off as
        // options of EXEC: the remote socat never sees ",nonblock,rawer".
        { "man 12a", "PTY,link=/home/user/dev/vmodem0,rawer,wait-slave", "PTY ,link=/home/user/dev/vmodem0 ,rawer ,wait-slave" },
        { "man 12b", "EXEC:ssh modemserver.us.org socat - /dev/ttyS0,nonblock,rawer",
          "EXEC|ssh modemserver.us.org socat - /dev/ttyS0 ,nonblock ,rawer" },
        // socat TCP4-LISTEN:2022,reuseaddr,fork PROXY:proxy:www.domain.org:22,proxyport=3128,proxyauth=user:pass
        { "man 13a", "TCP4-LISTEN:2022,reuseaddr,fork", "TCP4-LISTEN|2022 ,reuseaddr ,fork" },
        { "man 13b", "PROXY:proxy:www.domain.org:22,proxyport=3128,proxyauth=user:pass",
          "PROXY|proxy|www.domain.org|22 ,proxyport=3128 ,proxyauth=user:pass" },
        // socat - OPENSSL:server:4443,cafile=server.crt,cert=client.pem
        { "man 14a", "-", "STDIO" },
        { "man 14b", "OPENSSL:server:4443,cafile=server.crt,cert=client.pem",
          "OPENSSL|server|4443 ,cafile=server.crt ,cert=client.pem" },
        // socat OPENSSL-LISTEN:4443,reuseaddr,pf=ip4,fork,cert=server.pem,cafile=client.crt PIPE
        { "man 15a", "OPENSSL-LISTEN:4443,reuseaddr,pf=ip4,fork,cert=server.pem,cafile=client.crt",
          "OPENSSL-LISTEN|4443 ,reuseaddr ,pf=ip4 ,fork ,cert=server.pem ,cafile=client.crt" },
        { "man 15b", "PIPE", "PIPE" },
        // echo |socat -u - file:/tmp/bigfile,create,largefile,seek=100000000000
        { "man 16a", "-", "STDIO" },
        { "man 16b", "file:/tmp/bigfile,create,largefile,seek=100000000000",
          "file|/tmp/bigfile ,create ,largefile ,seek=100000000000" },
        // socat tcp-l:7777,reuseaddr,fork system:'filan -i 0 -s >&2',nofork
        { "man 17a", "tcp-l:7777,reuseaddr,fork", "tcp-l|7777 ,reuseaddr ,fork" },
        { "man 17b", "system:filan -i 0 -s >&2,nofork", "system|filan -i 0 -s >&2 ,nofork" },
        // echo -en "..." |socat -u - file:/usr/bin/squid.exe,seek=0x00074420
        { "man 18a", "-", "STDIO" },
        { "man 18b", "file:/usr/bin/squid.exe,seek=0x00074420", "file|/usr/bin/squid.exe ,seek=0x00074420" },
        // socat - tcp:www.blackhat.org:31337,readbytes=1000
        { "man 19a", "-", "STDIO" },
        { "man 19b", "tcp:www.blackhat.org:31337,readbytes=1000", "tcp|www.blackhat.org|31337 ,readbytes=1000" },
        // socat -U TCP:target:9999,end-close TCP-L:8888,reuseaddr,fork
        { "man 20a", "TCP:target:9999,end-close", "TCP|target|9999 ,end-close" },
        { "man 20b", "TCP-L:8888,reuseaddr,fork", "TCP-L|8888 ,reuseaddr ,fork" },
        // socat - UDP4-DATAGRAM:192.168.1.0:123,sp=123,broadcast,range=192.168.1.0/24
        { "man 21a", "-", "STDIO" },
        { "man 21b", "UDP4-DATAGRAM:192.168.1.0:123,sp=123,broadcast,range=192.168.1.0/24",
          "UDP4-DATAGRAM|192.168.1.0|123 ,sp=123 ,broadcast ,range=192.168.1.0/24" },
        // socat - SOCKET-DATAGRAM:2:2:17:x007b...,bind=...,setsockopt-int=1:6:1,range=...:...
        { "man 22a", "-", "STDIO" },
        { "man 22b", "SOCKET-DATAGRAM:2:2:17:x007bxc0a80100x0000000000000000,bind=x007bx00000000x0000000000000000,setsockopt-int=1:6:1,range=x0000xc0a80100x0000000000000000:x0000xffffff00x0000000000000000",
          "SOCKET-DATAGRAM|2|2|17|x007bxc0a80100x0000000000000000 ,bind=x007bx00000000x0000000000000000 ,setsockopt-int=1:6:1 ,range=x0000xc0a80100x0000000000000000:x0000xffffff00x0000000000000000" },
        // socat - IP4-DATAGRAM:255.255.255.255:44,broadcast,range=10.0.0.0/8
        { "man 23a", "-", "STDIO" },
        { "man 23b", "IP4-DATAGRAM:255.255.255.255:44,broadcast,range=10.0.0.0/8",
          "IP4-DATAGRAM|255.255.255.255|44 ,broadcast ,range=10.0.0.0/8" },
        // socat - UDP4-DATAGRAM:224.255.0.1:6666,bind=:6666,ip-add-membership=224.255.0.1:eth0
        { "man 24a", "-", "STDIO" },
        { "man 24b", "UDP4-DATAGRAM:224.255.0.1:6666,bind=:6666,ip-add-membership=224.255.0.1:eth0",
          "UDP4-DATAGRAM|224.255.0.1|6666 ,bind=:6666 ,ip-add-membership=224.255.0.1:eth0" },
        // socat UDP:host2:4443 TUN:192.168.255.1/24,up
        { "man 25a", "UDP:host2:4443", "UDP|host2|4443" },
        { "man 25b", "TUN:192.168.255.1/24,up", "TUN|192.168.255.1/24 ,up" },
        // socat - VSOCK-CONNECT:2:1234
        { "man 26a", "-", "STDIO" },
        { "man 26b", "VSOCK-CONNECT:2:1234", "VSOCK-CONNECT|2|1234" },
        // socat - VSOCK-LISTEN:1234
        { "man 27a", "-", "STDIO" },
        { "man 27b", "VSOCK-LISTEN:1234", "VSOCK-LISTEN|1234" },
        // socat - VSOCK-CONNECT:31:4321,bind:5555
        // The manual's "bind:5555" is one option name to socat ("unknown option "bind:5555"").
        { "man 28a", "-", "STDIO" },
        { "man 28b", "VSOCK-CONNECT:31:4321,bind:5555", "VSOCK-CONNECT|31|4321 ,bind:5555" },
        // socat VSOCK-LISTEN:3333,reuseaddr,fork VSOCK-CONNECT:42,3333
        // The manual's ",3333" is an option named "3333", not a port parameter.
        { "man 29a", "VSOCK-LISTEN:3333,reuseaddr,fork", "VSOCK-LISTEN|3333 ,reuseaddr ,fork" },
        { "man 29b", "VSOCK-CONNECT:42,3333", "VSOCK-CONNECT|42 ,3333" },
        // socat VSOCK-LISTEN:22,reuseaddr,fork TCP:localhost:22
        { "man 30a", "VSOCK-LISTEN:22,reuseaddr,fork", "VSOCK-LISTEN|22 ,reuseaddr ,fork" },
        { "man 30b", "TCP:localhost:22", "TCP|localhost|22" },
        // socat TCP4-LISTEN:22222,reuseaddr,fork VSOCK-CONNECT:33:22
        { "man 31a", "TCP4-LISTEN:22222,reuseaddr,fork", "TCP4-LISTEN|22222 ,reuseaddr ,fork" },
        { "man 31b", "VSOCK-CONNECT:33:22", "VSOCK-CONNECT|33|22" },
        // socat PTY,link=/var/run/ppp,rawer INTERFACE:hdlc0
        { "man 32a", "PTY,link=/var/run/ppp,rawer", "PTY ,link=/var/run/ppp ,rawer" },
        { "man 32b", "INTERFACE:hdlc0", "INTERFACE|hdlc0" },
        // socat -T 1 -d -d TCP-L:10081,reuseaddr,fork,crlf SYSTEM:"echo -e \"\\\"HTTP/1.0 200 OK\\\n...\""
        // After the shell: socat's own double quotes protect the ':' and drop the '\' before
        // '"', '\', '(' and ')'. socat 1.7.4 runs exactly the expected command below.
        { "man 33a", "TCP-L:10081,reuseaddr,fork,crlf", "TCP-L|10081 ,reuseaddr ,fork ,crlf" },
        { "man 33b",
          """SYSTEM:echo -e "\"HTTP/1.0 200 OK\\nDocumentType: text/plain\\n\\ndate: $\(date\)\\nserver:$SOCAT_SOCKADDR:$SOCAT_SOCKPORT\\nclient: $SOCAT_PEERADDR:$SOCAT_PEERPORT\\n\""; cat; echo -e "\"\\n\"" """.TrimEnd(),
          """SYSTEM|echo -e "HTTP/1.0 200 OK\nDocumentType: text/plain\n\ndate: $(date)\nserver:$SOCAT_SOCKADDR:$SOCAT_SOCKPORT\nclient: $SOCAT_PEERADDR:$SOCAT_PEERPORT\n"; cat; echo -e "\n" """.TrimEnd() },
        // socat -d -d UDP4-RECVFROM:9999,so-broadcast,...,ip-recvttl!!- SYSTEM:'export; sleep 1'
        { "man 34a", "UDP4-RECVFROM:9999,so-broadcast,so-timestamp,ip-pktinfo,ip-recverr,ip-recvopts,ip-recvtos,ip-recvttl!!-",
          "UDP4-RECVFROM|9999 ,so-broadcast ,so-timestamp ,ip-pktinfo ,ip-recverr ,ip-recvopts ,ip-recvtos ,ip-recvttl !! STDIO" },
        { "man 34b", "SYSTEM:export; sleep 1", "SYSTEM|export; sleep 1" },
        // echo -e "M-SEARCH ..." |socat - UDP-DATAGRAM:239.255.255.250:1900,crlf
        { "man 35a", "-", "STDIO" },
        { "man 35b", "UDP-DATAGRAM:239.255.255.250:1900,crlf", "UDP-DATAGRAM|239.255.255.250|1900 ,crlf" },
    };

    /// <summary>The grammar's corners: quoting, escapes, brackets, case, shortcuts, empties, values, duals.</summary>
    public static TheoryData<string, string, string> GrammarCases => new()
    {
        // Quoting: quotes protect ':' ',' '!!' and are removed.
        { "dquote path", "OPEN:\"/tmp/a:b\",creat", "OPEN|/tmp/a:b ,creat" },
        { "squote path", "OPEN:'/tmp/a:b',creat", "OPEN|/tmp/a:b ,creat" },
        { "squote comma", "OPEN:'/tmp/a,b',creat", "OPEN|/tmp/a,b ,creat" },
        { "quote mid-word", "OPEN:/tmp/\"a:b\"c,creat", "OPEN|/tmp/a:bc ,creat" },
        { "escaped dquote", "SYSTEM:echo \"a\\\"b\"", "SYSTEM|echo a\"b" },
        { "dquote in squotes", "SYSTEM:'a\"b:c'", "SYSTEM|a\"b:c" },
        { "squotes keep dquotes", "EXEC:'ssh -l user server',pty,setsid,ctty", "EXEC|ssh -l user server ,pty ,setsid ,ctty" },
        { "quoted option value", "SYSTEM:true,path='a,b=c'", "SYSTEM|true ,path=a,b=c" },
        { "dquoted value part", "SYSTEM:true,path=\"a,b\":c", "SYSTEM|true ,path=a,b:c" },
        { "quoted option name", "OPEN:/tmp/f,\"creat\",pa'th'=x", "OPEN|/tmp/f ,creat ,path=x" },
        { "quoted !!", "SYSTEM:\"true a!!b\"", "SYSTEM|true a!!b" },
        { "quoted !! in value", "SYSTEM:true,path='a!!b'", "SYSTEM|true ,path=a!!b" },
        // Backslash escapes the next character and is removed.
        { "escaped colon", "OPEN:/tmp/a\\:b,creat", "OPEN|/tmp/a:b ,creat" },
        { "escaped comma", "OPEN:/tmp/a\\,b,creat", "OPEN|/tmp/a,b ,creat" },
        { "escaped backslash", "OPEN:/tmp/a\\\\b", "OPEN|/tmp/a\\b" },
        { "escaped !!", "SYSTEM:true a\\!!b", "SYSTEM|true a!!b" },
        { "escaped comma in value", "OPEN:/tmp/f,x=a\\,b", "OPEN|/tmp/f ,x=a,b" },
        { "escaped quote", "OPEN:/tmp/it\\'s", "OPEN|/tmp/it's" },
        // socat turns C's control-character letters into the characters, in and out of quotes.
        { "backslash n", "OPEN:/tmp/a\\nb", "OPEN|/tmp/a\nb" },
        { "backslash t r", "OPEN:/tmp/a\\tb\\rc", "OPEN|/tmp/a\tb\rc" },
        { "backslash n in dquotes", "OPEN:\"/tmp/g\\nh\"", "OPEN|/tmp/g\nh" },
        { "other letters stand for themselves", "OPEN:/tmp/x\\qy\\e", "OPEN|/tmp/xqye" },
        { "escaped squote inside squotes", "OPEN:'/tmp/c\\'d'", "OPEN|/tmp/c'd" },
        // Brackets are kept and their content is not split.
        { "ipv6 host", "TCP:[::1]:80", "TCP|[::1]|80" },
        { "ipv6 listen range", "TCP6-LISTEN:8080,range=[::1]/128,fork", "TCP6-LISTEN|8080 ,range=[::1]/128 ,fork" },
        { "ipv6 bind", "UDP6:[::1]:53,bind=[::1]:5353", "UDP6|[::1]|53 ,bind=[::1]:5353" },
        { "brackets in command", "SYSTEM:true [a:b] (c,d) {e:f},path=x", "SYSTEM|true [a:b] (c,d) {e:f} ,path=x" },
        { "nested brackets", "SYSTEM:f({[a:b],c}),pty", "SYSTEM|f({[a:b],c}) ,pty" },
        { "escaped closer in bracket", "SYSTEM:true [a\\]b]", "SYSTEM|true [a]b]" },
        { "stray closers", "SYSTEM:true ]x)", "SYSTEM|true ]x)" },
        { "bracket option value", "OPEN:/tmp/f,x=[a,b:c]", "OPEN|/tmp/f ,x=[a,b:c]" },
        { "exec squoted", "EXEC:'sh -c \"echo a:b,c\"',pty,stderr", "EXEC|sh -c \"echo a:b,c\" ,pty ,stderr" },
        { "exec with parens", "EXEC:sh -c (echo a,b),nofork", "EXEC|sh -c (echo a,b) ,nofork" },
        // Keywords and option names are kept as typed.
        { "lower keyword", "tcp4:localhost:80", "tcp4|localhost|80" },
        { "mixed keyword", "OpEn:/tmp/f,CREAT,Append", "OpEn|/tmp/f ,CREAT ,Append" },
        { "keyword only", "stdio", "stdio" },
        { "unknown keyword", "FOO:bar,baz", "FOO|bar ,baz" },
        // Shortcuts.
        { "stdio shortcut", "-", "STDIO" },
        { "stdio shortcut opts", "-,escape=0x0f,crlf", "STDIO ,escape=0x0f ,crlf" },
        { "fd shortcut", "5", "FD|5" },
        { "fd zero", "0", "FD|0" },
        { "fd shortcut opts", "7,nonblock", "FD|7 ,nonblock" },
        { "gopen relative", "./file,creat", "GOPEN|./file ,creat" },
        { "gopen parent", "../dir/file", "GOPEN|../dir/file" },
        { "gopen absolute", "/dev/null", "GOPEN|/dev/null" },
        { "gopen with colon", "/tmp/a:b,creat", "GOPEN|/tmp/a|b ,creat" },
        { "gopen quoted colon", "\"/tmp/a:b\",creat", "GOPEN|/tmp/a:b ,creat" },
        // Empty options are skipped; empty parameters are kept.
        { "empty option", "-,,creat", "STDIO ,creat" },
        { "empty options", "OPEN:/tmp/f,,,creat,,", "OPEN|/tmp/f ,creat" },
        { "trailing comma", "-,", "STDIO" },
        { "empty parameter", "TCP::80", "TCP||80" },
        // Option values: everything after the first '=', ':' and '=' included.
        { "value with colon", "PROXY:p:h:22,proxyauth=user:pass", "PROXY|p|h|22 ,proxyauth=user:pass" },
        { "value leading colon", "UDP4-DATAGRAM:224.255.0.1:6666,bind=:6666", "UDP4-DATAGRAM|224.255.0.1|6666 ,bind=:6666" },
        { "value with equals", "OPEN:/tmp/f,mode=0600=x", "OPEN|/tmp/f ,mode=0600=x" },
        { "value starts with equals", "OPEN:/tmp/f,su==root", "OPEN|/tmp/f ,su==root" },
        { "empty value", "OPEN:/tmp/f,creat=", "OPEN|/tmp/f ,creat=" },
        { "value with slash", "-,link=/tmp/x/y", "STDIO ,link=/tmp/x/y" },
        // Duals.
        { "dual open", "OPEN:/a!!OPEN:/b", "OPEN|/a !! OPEN|/b" },
        { "dual stdio write", "OPEN:/tmp/in,rdonly!!-", "OPEN|/tmp/in ,rdonly !! STDIO" },
        { "dual stdio read", "-!!OPEN:/tmp/out,creat,append", "STDIO !! OPEN|/tmp/out ,creat ,append" },
        { "dual fds", "5!!6", "FD|5 !! FD|6" },
        { "dual paths", "/dev/stdin!!/dev/stdout", "GOPEN|/dev/stdin !! GOPEN|/dev/stdout" },
        { "dual stdio both", "-!!-", "STDIO !! STDIO" },
        { "dual with brackets", "TCP:[::1]:80!!SYSTEM:'cat>x'", "TCP|[::1]|80 !! SYSTEM|cat>x" },
    };

    /// <summary>Malformed addresses and a fragment of the error each one must raise.</summary>
    public static TheoryData<string, string> Errors => new()
    {
        { "OPEN:\"/tmp/x", "missing closing \" quote" },
        { "OPEN:'/tmp/x", "missing closing ' quote" },
        { "OPEN:/tmp/x,mode=\"0600", "missing closing \" quote" },
        { "OPEN:/tmp/[x", "missing ']'" },
        { "OPEN:/tmp/x,range=[::1/128", "missing ']'" },
        { "SYSTEM:f(x", "missing ')'" },
        { "!!-", "needs an address on each side" },
        { "-!!", "needs an address on each side" },
        { "!!", "needs an address on each side" },
        { "a!!b!!c", "may appear only once" },
        { "OPEN:/tmp/x\\", "escapes nothing" },
        { "OPEN:/tmp/x,creat\\", "escapes nothing" },
        { "", "empty address" },
        { "OPEN:/tmp/x,=v", "option without a name" },
    };

    [Theory]
    [MemberData(nameof(ManPageExamples))]
    public void ParsesManPageExample(string source, string address, string expected)
    {
        _ = source;
        Assert.Equal(expected, Render(AddressParser.Parse(address)));
    }

    [Theory]
    [MemberData(nameof(GrammarCases))]
    public void ParsesGrammarCase(string source, string address, string expected)
    {
        _ = source;
        Assert.Equal(expected, Render(AddressParser.Parse(address)));
    }

    [Theory]
    [MemberData(nameof(Errors))]
    public void RejectsMalformedAddress(string address, string fragment)
    {
        var e = Assert.Throws<SharpCatException>(() => AddressParser.Parse(address));
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void DualExposesBothHalves()
    {
        var spec = AddressParser.Parse("OPEN:/a,rdonly!!OPEN:/b,creat");
        Assert.True(spec.IsDual);
        Assert.Equal("OPEN", spec.Primary.Keyword);
        Assert.Equal(["/a"], spec.Primary.Parameters);
        Assert.Equal([new AddressOption("rdonly", null)], spec.Primary.Options);
        Assert.NotNull(spec.WriteSide);
        Assert.Equal(["/b"], spec.WriteSide.Parameters);
        Assert.Equal([new AddressOption("creat", null)], spec.WriteSide.Options);
    }

    [Fact]
    public void SingleHasNoWriteSide()
    {
        var spec = AddressParser.Parse("TCP:[::1]:80,crlf");
        Assert.False(spec.IsDual);
        Assert.Null(spec.WriteSide);
        Assert.Equal(["[::1]", "80"], spec.Primary.Parameters);
        Assert.Equal([new AddressOption("crlf", null)], spec.Primary.Options);
    }

    [Fact]
    public void OptionValueIsNullWithoutEqualsAndEmptyWithIt()
    {
        var options = AddressParser.Parse("OPEN:/tmp/f,creat,append=").Primary.Options;
        Assert.Null(options[0].Value);
        Assert.Equal("", options[1].Value);
    }

    [Fact]
    public void EscapedEqualsStaysInOptionName()
    {
        var option = Assert.Single(AddressParser.Parse("OPEN:/tmp/f,x\\=y=z").Primary.Options);
        Assert.Equal(new AddressOption("x=y", "z"), option);
    }

    private static string Render(EndpointSpec spec) =>
        spec.WriteSide is null ? Render(spec.Primary) : Render(spec.Primary) + " !! " + Render(spec.WriteSide);

    private static string Render(AddressSpec spec) =>
        spec.Keyword
        + string.Concat(spec.Parameters.Select(p => "|" + p))
        + string.Concat(spec.Options.Select(o => " ," + (o.Value is null ? o.Name : o.Name + "=" + o.Value)));
}
