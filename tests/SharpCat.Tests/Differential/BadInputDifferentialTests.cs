using static SharpCat.Tests.Differential.DiffCase;

namespace SharpCat.Tests.Differential;

/// <summary>
/// Rejected command lines and failing opens: both programs exit 1, print nothing on stdout and
/// leave the same files. The messages are worded differently on purpose, so stderr is not compared.
/// </summary>
public class BadInputDifferentialTests
{
    // Not compared here (intentional differences): sharpcat checks both addresses before opening
    // either (socat opens the first, then rejects "FOO:" in the second, leaving a created file).

    private static readonly byte[] Data = B("data that must not arrive anywhere\n");

    private static DiffCase Bad(string[] args, Action<SharpCat.Tests.Support.TempDir>? prepare = null) =>
        new(args, Data, ExpectedExit: 1, Prepare: prepare, Stderr: StderrCheck.Ignore);

    private static readonly Dictionary<string, DiffCase> Cases = new()
    {
        ["unknown address type"] = Bad(["FOO:bar", "-"]),
        ["bare word without a slash"] = Bad(["plain", "-"]),
        ["unknown option on stdio"] = Bad(["-,bogus", "-"]),
        ["unknown option on OPEN"] = Bad(["-", "OPEN:{dir}/f,creat,nosuchoption"]),
        ["option of the wrong group: OPEN,fork"] = Bad(["OPEN:{dir}/f,creat,fork", "-"]),
        ["option of the wrong group: CREATE,excl"] = Bad(["-u", "-", "CREATE:{dir}/f,excl"]),
        ["option of the wrong group: CREATE,trunc=0"] = Bad(["-u", "-", "CREATE:{dir}/f,trunc=0"]),
        ["option of the wrong group: stdio,rdonly"] = Bad(["-,rdonly", "-"]),
        ["non-numeric mode"] = Bad(["OPEN:{dir}/f,creat,mode=abc", "-"]),
        ["non-numeric bool creat=yes"] = Bad(["-u", "-", "OPEN:{dir}/f,creat=yes"]),
        ["creat=0 switches creat off"] = Bad(["-u", "-", "OPEN:{dir}/f,creat=0"]),
        ["non-numeric readbytes"] = Bad(["-u", "OPEN:{dir}/f,readbytes=abc", "-"], Files(("f", "abc"))),
        ["trailing garbage in a number"] = Bad(["-u", "-", "OPEN:{dir}/f,creat,mode=0640=5"]),
        ["non-numeric escape"] = Bad(["-u", "-,escape=X", "-"]),
        ["OPEN without a file name"] = Bad(["OPEN", "-"]),
        ["STDIO with a parameter"] = Bad(["STDIO:x", "-"]),
        ["path shortcut with a colon"] = Bad(["-u", "-", "{dir}/a:b"]),
        ["FD with a non-number"] = Bad(["FD:abc", "-"]),
        ["unbalanced double quote"] = Bad(["-u", "-", "OPEN:\"{dir}/f,creat"]),
        ["!! with nothing on its left"] = Bad(["!!-", "-"]),
        ["!! with nothing on its right"] = Bad(["-!!", "-"]),

        ["missing file read with -u"] = Bad(["-u", "OPEN:{dir}/missing", "-"]),
        ["missing file bidirectional"] = Bad(["-", "OPEN:{dir}/missing"]),
        ["missing directory"] = Bad(["-u", "-", "OPEN:{dir}/nodir/f,creat"]),
        ["excl on an existing file"] = Bad(["-", "OPEN:{dir}/f,creat,excl"], Files(("f", "keep\n"))),
        ["-u excl on an existing file"] = Bad(["-u", "-", "OPEN:{dir}/f,creat,excl"], Files(("f", "keep\n"))),
        ["-L lock already held"] = Bad(["-L", "{dir}/lock", "-", "OPEN:{dir}/out,creat"], Files(("lock", "1\n"))),
        ["lockfile= already held"] = Bad(["-u", "-", "OPEN:{dir}/out,creat,lockfile={dir}/lock"], Files(("lock", "99999"))),
        ["writing to an rdonly file"] = Bad(["-u", "-", "OPEN:{dir}/f,rdonly"], Files(("f", "unchanged\n"))),
        ["reading a wronly file"] = Bad(["-u", "OPEN:{dir}/f,wronly", "-"], Files(("f", "unchanged\n"))),
        ["reading a CREATE address"] = Bad(["-u", "CREATE:{dir}/f", "-"]),
        ["writing into a directory"] = Bad(["-u", "-", "OPEN:{dir}/sub"], d => Directory.CreateDirectory(d["sub"])),
        ["reading a directory"] = Bad(["-u", "OPEN:{dir}/sub", "-"], d => Directory.CreateDirectory(d["sub"])),
        ["-lf into a missing directory"] = Bad(["-lf", "{dir}/nodir/log", "-u", "-", "OPEN:{dir}/f,creat"]),
        ["-r into a missing directory"] = Bad(["-r", "{dir}/nodir/r", "-u", "-", "OPEN:{dir}/f,creat"]),

        ["-u and -U together"] = Bad(["-u", "-U", "-", "OPEN:{dir}/f,creat"]),
        ["one address"] = Bad(["OPEN:{dir}/f,creat"]),
        ["no address"] = Bad([]),
        ["three addresses"] = Bad(["-", "OPEN:{dir}/f,creat", "-"]),
        ["unknown command-line option"] = Bad(["-Z", "-", "OPEN:{dir}/f,creat"]),
        ["unknown log option"] = Bad(["-lx", "-", "OPEN:{dir}/f,creat"]),
        ["non-numeric -b"] = Bad(["-b", "abc", "-", "OPEN:{dir}/f,creat"]),
        ["non-numeric -t"] = Bad(["-t", "x", "-", "OPEN:{dir}/f,creat"]),
        ["-d with another letter"] = Bad(["-dx", "-", "OPEN:{dir}/f,creat"]),
        ["second address fails after the first was opened"] = Bad(["OPEN:{dir}/a,creat", "OPEN:{dir}/missing"]),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    [SocatTheory]
    [MemberData(nameof(Names))]
    public Task FailsLikeSocat(string name) => Cases[name].RunAsync();
}
