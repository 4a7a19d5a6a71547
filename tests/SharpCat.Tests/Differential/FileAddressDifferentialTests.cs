using static SharpCat.Tests.Differential.DiffCase;

namespace SharpCat.Tests.Differential;

/// <summary>OPEN, CREATE, GOPEN, the path shortcut and dual addresses: same bytes, files and modes as socat.</summary>
public class FileAddressDifferentialTests
{
    private const string Digits = "0123456789";

    private static readonly Dictionary<string, DiffCase> Cases = new()
    {
        // stdin into a new file through a bidirectional OPEN (the file reads back nothing).
        ["stdin 0 bytes into OPEN,creat"] = new(["-", "OPEN:{dir}/f,creat"], Random(0), Premise: SocatLeft("f")),
        ["stdin 1 byte into OPEN,creat"] = new(["-", "OPEN:{dir}/f,creat"], Random(1)),
        ["stdin 8192 bytes into OPEN,creat"] = new(["-", "OPEN:{dir}/f,creat"], Random(8192)),
        ["stdin 100000 bytes into OPEN,creat"] = new(["-", "OPEN:{dir}/f,creat"], Random(100_000)),

        ["-u OPEN to stdout"] = new(["-u", "OPEN:{dir}/in", "-"], [], Prepare: Files(("in", Random(20_000)))),
        ["bidirectional OPEN to stdout, empty stdin"] = new(["OPEN:{dir}/in", "-"], [], Prepare: Files(("in", "file content\n")),
            Premise: SocatStdout("file content\n")),
        ["-U stdin into OPEN,creat"] = new(["-U", "OPEN:{dir}/f,creat", "-"], B("right to left\n"), Premise: SocatFile("f", "right to left\n")),
        ["-U OPEN to stdout"] = new(["-U", "-", "OPEN:{dir}/in"], B("ignored"), Prepare: Files(("in", "from the file\n")),
            Premise: SocatStdout("from the file\n")),

        ["OPEN without trunc overwrites in place"] = new(["-u", "-", "OPEN:{dir}/f"], B("hi\n"), Prepare: Files(("f", "hello world\n")),
            Premise: SocatFile("f", "hi\nlo world\n")),
        ["OPEN,creat,trunc on an existing file"] = new(["-u", "-", "OPEN:{dir}/f,creat,trunc"], B("new\n"),
            Prepare: Files(("f", "old and longer content\n")), Premise: SocatFile("f", "new\n")),
        ["OPEN,trunc bidirectional"] = new(["-", "OPEN:{dir}/f,trunc"], B("new\n"), Prepare: Files(("f", "old and longer content\n"))),
        ["OPEN,append"] = new(["-u", "-", "OPEN:{dir}/f,append"], B("two\n"), Prepare: Files(("f", "one\n")), Premise: SocatFile("f", "one\ntwo\n")),
        ["OPEN,creat,append on a new file"] = new(["-u", "-", "OPEN:{dir}/f,creat,append"], B("two\n")),
        ["OPEN,creat,excl on a new file"] = new(["-u", "-", "OPEN:{dir}/f,creat,excl"], B("x\n"), Premise: SocatLeft("f")),

        ["OPEN,seek=4"] = new(["-u", "OPEN:{dir}/in,seek=4", "-"], [], Prepare: Files(("in", Digits)), Premise: SocatStdout("456789")),
        ["OPEN,seek-end=-3"] = new(["-u", "OPEN:{dir}/in,seek-end=-3", "-"], [], Prepare: Files(("in", Digits)), Premise: SocatStdout("789")),
        ["OPEN,seek-cur=3"] = new(["-u", "OPEN:{dir}/in,seek-cur=3", "-"], [], Prepare: Files(("in", Digits))),
        ["OPEN,seek=4 on the write side"] = new(["-u", "-", "OPEN:{dir}/f,seek=4"], B("ab"), Prepare: Files(("f", Digits)),
            Premise: SocatFile("f", "0123ab6789")),
        ["OPEN,readbytes=3"] = new(["-u", "OPEN:{dir}/in,readbytes=3", "-"], [], Prepare: Files(("in", Digits)), Premise: SocatStdout("012")),
        ["OPEN,readbytes=0x2"] = new(["-u", "OPEN:{dir}/in,readbytes=0x2", "-"], [], Prepare: Files(("in", Digits)), Premise: SocatStdout("01")),
        ["OPEN,readbytes=0 means no limit"] = new(["-u", "OPEN:{dir}/in,readbytes=0", "-"], [], Prepare: Files(("in", Digits))),
        ["stdio readbytes=4"] = new(["-u", "-,readbytes=4", "-"], B("abcdefgh"), Premise: SocatStdout("abcd")),

        ["OPEN,creat,mode=0600"] = new(["-u", "-", "OPEN:{dir}/f,creat,mode=0600"], B("x")),
        ["OPEN,creat,perm=0640"] = new(["-u", "-", "OPEN:{dir}/f,creat,perm=0640"], B("x")),
        ["OPEN,creat,perm=0777 (umask applies)"] = new(["-u", "-", "OPEN:{dir}/f,creat,perm=0777"], B("x")),
        ["OPEN,creat,umask=077"] = new(["-u", "-", "OPEN:{dir}/f,creat,umask=077"], B("x")),
        ["OPEN,creat,umask=077,perm=0666"] = new(["-u", "-", "OPEN:{dir}/f,creat,umask=077,perm=0666"], B("x")),
        ["OPEN,mode=0600 on an existing file"] = new(["-u", "-", "OPEN:{dir}/f,mode=0600"], B("x"), Prepare: Files(("f", "abc"))),
        ["OPEN,creat=1"] = new(["-u", "-", "OPEN:{dir}/f,creat=1,trunc=1"], B("x")),
        ["-u CREATE,perm=0600 on an existing file keeps its mode"] = new(["-u", "-", "CREATE:{dir}/f,perm=0600"], B("x"),
            Prepare: Files(("f", "abc"))),
        ["-u GOPEN,perm=0600 on an existing file keeps its mode"] = new(["-u", "-", "GOPEN:{dir}/f,perm=0600"], B("x"),
            Prepare: Files(("f", "abc"))),
        ["OPEN,perm-late=0600 changes an existing file"] = new(["-u", "-", "OPEN:{dir}/f,perm-late=0600"], B("x"),
            Prepare: Files(("f", "abc"))),
        ["OPEN,creat,unlink-early,perm=0600"] = new(["-u", "-", "OPEN:{dir}/f,creat,unlink-early,perm=0600"], B("x"),
            Prepare: Files(("f", "abc"))),
        ["OPEN,creat,perm=0640 on an existing file"] = new(["-u", "-", "OPEN:{dir}/f,creat,perm=0640"], B("x"), Prepare: Files(("f", "abc"))),

        ["OPEN,unlink-early recreates the file"] = new(["-u", "-", "OPEN:{dir}/f,creat,unlink-early"], B("new\n"),
            Prepare: Files(("f", "old content\n")), Premise: SocatFile("f", "new\n")),
        ["OPEN,unlink-late removes the file"] = new(["-u", "-", "OPEN:{dir}/f,creat,unlink-late"], B("gone\n"), Premise: SocatLeft()),
        ["OPEN,unlink-close removes the file"] = new(["-u", "-", "OPEN:{dir}/f,creat,unlink-close"], B("gone\n"), Premise: SocatLeft()),
        ["reading OPEN,unlink-late"] = new(["-u", "OPEN:{dir}/in,unlink-late", "-"], [], Prepare: Files(("in", "read then gone\n")),
            Premise: SocatLeft()),
        ["bidirectional OPEN,creat,unlink-close"] = new(["-", "OPEN:{dir}/f,creat,unlink-close"], B("abc")),

        ["OPEN,rdonly"] = new(["-u", "OPEN:{dir}/in,rdonly", "-"], [], Prepare: Files(("in", "read only\n"))),
        ["OPEN,wronly"] = new(["-u", "-", "OPEN:{dir}/f,wronly"], B("w"), Prepare: Files(("f", "abc"))),
        ["OPEN,rdwr with -u"] = new(["-u", "-", "OPEN:{dir}/f,rdwr"], B("w"), Prepare: Files(("f", "abc"))),

        ["OPEN,ftruncate=2,seek-end=0"] = new(["-u", "-", "OPEN:{dir}/f,ftruncate=2,seek-end=0"], B("789"),
            Prepare: Files(("f", "abcdef")), Premise: SocatFile("f", "ab789")),
        ["OPEN,truncate=0 alias"] = new(["-u", "-", "OPEN:{dir}/f,truncate=0"], B("new"), Prepare: Files(("f", "abcdef"))),
        ["OPEN,nonblock,sync"] = new(["-u", "-", "OPEN:{dir}/f,creat,nonblock,sync"], B("x")),
        ["OPEN,flock-ex-nb"] = new(["-u", "-", "OPEN:{dir}/f,creat,flock-ex-nb"], B("x")),
        ["OPEN,setlk"] = new(["-u", "-", "OPEN:{dir}/f,creat,setlk"], B("x")),
        ["OPEN,cloexec=0,shut-close"] = new(["-u", "-", "OPEN:{dir}/f,creat,cloexec=0,shut-close"], B("x")),
        ["OPEN,shut-down on a file is silently ignored"] = new(["-u", "-", "OPEN:{dir}/f,creat,shut-down"], B("x")),
        ["OPEN,user=0,group=0"] = new(["-u", "-", "OPEN:{dir}/f,creat,user=0,group=0"], B("x")),
        ["OPEN,user=root"] = new(["-u", "-", "OPEN:{dir}/f,creat,user=root"], B("x")),
        ["-u CREATE new"] = new(["-u", "-", "CREATE:{dir}/f"], B("created\n")),
        ["-u CREATE truncates"] = new(["-u", "-", "CREATE:{dir}/f"], B("new\n"), Prepare: Files(("f", "old and longer\n")),
            Premise: SocatFile("f", "new\n")),
        ["-u CREATE,perm=0751"] = new(["-u", "-", "CREATE:{dir}/f,perm=0751"], B("x")),
        ["-u CREATE,mode=0600"] = new(["-u", "-", "CREATE:{dir}/f,mode=0600"], B("x")),
        ["-u CREAT alias"] = new(["-u", "-", "CREAT:{dir}/f"], B("x")),
        ["-u CREATE,unlink-close"] = new(["-u", "-", "CREATE:{dir}/f,unlink-close"], B("x"), Premise: SocatLeft()),
        ["-U CREATE on the left"] = new(["-U", "CREATE:{dir}/f", "-"], B("leftwards\n")),

        ["-u GOPEN creates a new file"] = new(["-u", "-", "GOPEN:{dir}/new"], B("first\n"), Premise: SocatFile("new", "first\n")),
        ["-u GOPEN appends to an existing file"] = new(["-u", "-", "GOPEN:{dir}/f"], B("two\n"), Prepare: Files(("f", "one\n")),
            Premise: SocatFile("f", "one\ntwo\n")),
        ["-u GOPEN,trunc"] = new(["-u", "-", "GOPEN:{dir}/f,trunc"], B("two\n"), Prepare: Files(("f", "one one\n"))),
        ["-u GOPEN,perm=0600 new"] = new(["-u", "-", "GOPEN:{dir}/new,perm=0600"], B("x")),
        ["bidirectional GOPEN creates a new file"] = new(["-", "GOPEN:{dir}/new"], B("abc")),
        ["-u GOPEN read of a missing file creates it empty"] = new(["-u", "GOPEN:{dir}/missing", "-"], [], Premise: SocatLeft("missing")),
        ["-u GOPEN read of an existing file"] = new(["-u", "GOPEN:{dir}/in", "-"], [], Prepare: Files(("in", "gopen\n"))),
        ["path shortcut appends"] = new(["-u", "-", "{dir}/f"], B("two\n"), Prepare: Files(("f", "one\n"))),
        ["path shortcut creates"] = new(["-u", "-", "{dir}/new"], B("x\n")),
        ["path shortcut reads"] = new(["-u", "{dir}/in", "-"], [], Prepare: Files(("in", "shortcut\n"))),
        ["path shortcut with trunc"] = new(["-u", "-", "{dir}/f,trunc"], B("x\n"), Prepare: Files(("f", "old old\n"))),
        ["path shortcut creating with perm=0600"] = new(["-u", "-", "{dir}/new,perm=0600"], B("x\n")),

        ["FILE alias"] = new(["-u", "-", "FILE:{dir}/f,creat"], B("x")),
        ["lower-case keyword and option"] = new(["-u", "-", "open:{dir}/f,CREAT,Mode=0600"], B("x")),
        ["empty options are ignored"] = new(["-u", "-", "OPEN:{dir}/f,,creat,"], B("x")),
        ["double-quoted name with a colon"] = new(["-u", "-", "OPEN:\"{dir}/a:b\",creat"], B("x"), Premise: SocatLeft("a:b")),
        ["backslash-escaped colon"] = new(["-u", "-", "OPEN:{dir}/c\\:d,creat"], B("x"), Premise: SocatLeft("c:d")),
        ["single-quoted name with a comma"] = new(["-u", "-", "OPEN:'{dir}/e,f',creat"], B("x"), Premise: SocatLeft("e,f")),
        ["brackets kept and protect a comma"] = new(["-u", "-", "OPEN:{dir}/[g,h],creat"], B("x"), Premise: SocatLeft("[g,h]")),
        ["quoted value of an option"] = new(["-u", "-", "OPEN:{dir}/f,creat,mode=\"0640\""], B("x")),

        ["dual address a!!b with stdio"] = new(["-", "OPEN:{dir}/a!!OPEN:{dir}/b,creat"], B("to b\n"), Prepare: Files(("a", "from a\n")),
            Premise: SocatStdout("from a\n")),
        ["dual address on the left"] = new(["OPEN:{dir}/a!!OPEN:{dir}/b,creat", "-"], B("to b\n"), Prepare: Files(("a", "from a\n"))),
        ["-u opens only the write half of a dual address"] = new(["-u", "-", "OPEN:{dir}/missing!!OPEN:{dir}/b,creat"], B("to b\n"),
            Premise: SocatLeft("b")),
        ["-u opens only the read half of a dual address"] = new(["-u", "OPEN:{dir}/a!!OPEN:{dir}/missing", "-"], [],
            Prepare: Files(("a", "from a\n"))),
        ["dual stdio -!!- with a file"] = new(["-!!-", "OPEN:{dir}/f,creat"], B("dual\n")),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    [SocatTheory]
    [MemberData(nameof(Names))]
    public Task SameAsSocat(string name) => Cases[name].RunAsync();
}
