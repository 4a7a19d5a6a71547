using SharpCat.Tests.Support;
using static SharpCat.Tests.Differential.DiffCase;

namespace SharpCat.Tests.Differential;

/// <summary>
/// STDIO, FD, unnamed and named pipes, the cr/crnl/escape conversions, -b, -r/-R and -L: same bytes
/// and files as socat.
/// </summary>
public class StreamDifferentialTests
{
    private const string Mixed = "a\nb\r\nc\rd\n";

    private static Action<TempDir> Fifo(string name, uint mode) => dir => FileStat.MkFifo(dir[name], mode);

    private static readonly Dictionary<string, DiffCase> Cases = new()
    {
        ["-u stdin to stdout"] = new(["-u", "-", "-"], Random(30_000)),
        ["stdio to stdio"] = new(["-", "-"], B("once\n"), Premise: SocatStdout("once\n")),
        ["-U stdio to stdio"] = new(["-U", "-", "-"], B("leftwards\n")),
        ["STDIO keyword"] = new(["-u", "STDIO", "stdio"], B("kw\n")),
        ["-u STDIN STDOUT"] = new(["-u", "STDIN", "STDOUT"], B("one way\n")),

        ["unnamed PIPE echoes"] = new(["-", "PIPE"], Random(50_000)),
        ["ECHO alias"] = new(["-", "ECHO"], B("echo\n"), Premise: SocatStdout("echo\n")),
        ["lower-case fifo alias"] = new(["-", "fifo"], B("fifo\n")),
        ["-u into an unnamed PIPE"] = new(["-u", "-", "PIPE"], B("swallowed\n"), Premise: SocatStdout("")),
        ["named PIPE created, echoes and removed"] = new(["-", "PIPE:{dir}/p"], B("through the fifo\n"),
            Premise: r => { SocatStdout("through the fifo\n")(r); SocatLeft()(r); }),
        ["existing named PIPE is kept with its mode"] = new(["-", "PIPE:{dir}/p"], B("kept\n"), Prepare: Fifo("p", 0b110_100_000),
            Premise: SocatLeft("p")),
        ["existing named PIPE,perm=0600 keeps its mode"] = new(["-", "PIPE:{dir}/p,perm=0600"], B("kept\n"),
            Prepare: Fifo("p", 0b110_100_000)),
        ["GOPEN on an existing fifo echoes"] = new(["-", "GOPEN:{dir}/p"], B("gopen fifo\n"), Prepare: Fifo("p", 0b110_100_100),
            Premise: SocatStdout("gopen fifo\n")),
        ["OPEN on an existing fifo echoes"] = new(["-", "OPEN:{dir}/p"], B("open fifo\n"), Prepare: Fifo("p", 0b110_100_100)),
        ["-u PIPE:path on an existing regular file writes in place"] = new(["-u", "-", "PIPE:{dir}/reg"], B("hi\n"),
            Prepare: Files(("reg", "content\n")), Premise: SocatFile("reg", "hi\ntent\n")),

        ["-u 0 shortcut into a file"] = new(["-u", "0", "OPEN:{dir}/f,creat"], B("from fd 0\n"), Premise: SocatFile("f", "from fd 0\n")),
        ["-u FD:0 into a file"] = new(["-u", "FD:0", "OPEN:{dir}/f,creat"], B("from FD:0\n")),
        ["-u file into 1 shortcut"] = new(["-u", "OPEN:{dir}/in", "1"], [], Prepare: Files(("in", "to fd 1\n")), Premise: SocatStdout("to fd 1\n")),
        ["-u file into FD:1"] = new(["-u", "OPEN:{dir}/in", "FD:1"], [], Prepare: Files(("in", "to FD:1\n"))),

        ["crnl on the read side"] = new(["-u", "-,crnl", "-"], B(Mixed), Premise: SocatStdout("a\nb\ncd\n")),
        ["crnl on the write side"] = new(["-u", "-", "-,crnl"], B(Mixed), Premise: SocatStdout("a\r\nb\r\r\nc\rd\r\n")),
        ["cr on the read side"] = new(["-u", "-,cr", "-"], B(Mixed), Premise: SocatStdout("a\nb\n\nc\nd\n")),
        ["cr on the write side"] = new(["-u", "-", "-,cr"], B(Mixed), Premise: SocatStdout("a\rb\r\rc\rd\r")),
        ["crlf alias"] = new(["-u", "-", "-,crlf"], B(Mixed)),
        ["crnl then cr: the last wins"] = new(["-u", "-", "-,crnl,cr"], B(Mixed)),
        ["crnl reading a file"] = new(["-u", "OPEN:{dir}/in,crnl", "-"], [], Prepare: Files(("in", Mixed))),
        ["crnl writing a file"] = new(["-u", "-", "OPEN:{dir}/f,creat,crnl"], B(Mixed)),
        ["cr both ways through a file"] = new(["-,cr", "OPEN:{dir}/f,creat,cr"], B(Mixed)),

        ["escape=0x1d on the read side"] = new(["-u", "-,escape=0x1d", "-"], B("ab\x1d" + "cd"), Premise: SocatStdout("ab")),
        ["escape=0x1d on the write side has no effect"] = new(["-u", "-", "-,escape=0x1d"], B("ab\x1d" + "cd")),
        ["escape=88 (decimal)"] = new(["-u", "-,escape=88", "-"], B("abXcd")),
        ["escape reading a file"] = new(["-u", "OPEN:{dir}/in,escape=0x1d", "-"], [], Prepare: Files(("in", "abc\x1d" + "def"))),
        ["escape with PIPE ends the relay"] = new(["-,escape=0x1d", "PIPE"], B("ab\x1d" + "cd")),

        ["escape is checked before crnl drops the cr"] = new(["-u", "-,crnl,escape=0x0d", "-"], B("ab\r\ncd"), Premise: SocatStdout("ab")),
        ["escape is checked before cr makes a newline"] = new(["-u", "-,cr,escape=0x0a", "-"], B("ab\rcd\nef"), Premise: SocatStdout("ab\ncd")),
        ["escape and readbytes together"] = new(["-u", "-,escape=0x0a,readbytes=2", "-"], B("abc\ndef")),
        ["escape on the write side with crnl"] = new(["-u", "-", "-,crnl,escape=0x63"], B("abc\ndef")),

        ["-b 2 file to stdout"] = new(["-b", "2", "-u", "OPEN:{dir}/in", "-"], [], Prepare: Files(("in", "hello world\n"))),
        ["-b2 stdin to file"] = new(["-b2", "-", "OPEN:{dir}/f,creat"], Random(1001)),

        ["-r and -R dumps of a dual address"] = new(["-r", "{dir}/r", "-R", "{dir}/R", "-", "OPEN:{dir}/a!!OPEN:{dir}/b,creat"],
            B("hello\n\0\xff"), Prepare: Files(("a", "from a\n")), Premise: SocatFile("R", "from a\n")),
        ["-r appends to an existing file"] = new(["-r", "{dir}/r", "-u", "-", "OPEN:{dir}/f,creat"], B("x"),
            Prepare: Files(("r", "old\n")), Premise: SocatFile("r", "old\nx")),
        ["-r and -R through PIPE"] = new(["-r", "{dir}/r", "-R", "{dir}/R", "-", "PIPE"], Random(3000)),
        ["-R with -U"] = new(["-R", "{dir}/R", "-U", "OPEN:{dir}/f,creat", "-"], B("leftwards\n")),

        ["-L lock taken and removed"] = new(["-L", "{dir}/lock", "-u", "-", "OPEN:{dir}/f,creat"], B("locked\n"), Premise: SocatLeft("f")),
        ["lockfile= option taken and removed"] = new(["-u", "-", "OPEN:{dir}/f,creat,lockfile={dir}/lk"], B("locked\n"), Premise: SocatLeft("f")),
        ["-lf log file created even when nothing is logged"] = new(["-lf", "{dir}/log", "-u", "-", "OPEN:{dir}/f,creat"], B("x"),
            Premise: SocatLeft("f", "log")),
        ["-lf appends to an existing log file"] = new(["-lf", "{dir}/log", "-u", "-", "OPEN:{dir}/f,creat"], B("x"),
            Prepare: Files(("log", "old\n")), Premise: SocatFile("log", "old\n")),
        ["-W lock that is free"] = new(["-W", "{dir}/lock", "-u", "-", "OPEN:{dir}/f,creat"], B("waited\n")),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    [SocatTheory]
    [MemberData(nameof(Names))]
    public Task SameAsSocat(string name) => Cases[name].RunAsync();
}
