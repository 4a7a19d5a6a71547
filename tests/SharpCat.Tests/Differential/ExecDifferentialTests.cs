using SharpCat.Tests.Support;
using static SharpCat.Tests.Differential.DiffCase;

namespace SharpCat.Tests.Differential;

/// <summary>
/// EXEC, SYSTEM and the ways a child is connected: the bytes each way and the exit status are
/// socat's, with real child programs. Where socat's outcome depends on whether it sees the child's
/// end before its EOF (a failing or missing program), ExecTests checks sharpcat's fixed behaviour.
/// </summary>
public class ExecDifferentialTests
{
    private static Action<TempDir> Script(string name, string body) => dir =>
    {
        File.WriteAllText(dir[name], "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(dir[name], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    };

    /// <summary>A root with /bin/sh and the libraries it needs, for chroot.</summary>
    private static void MinimalRoot(TempDir dir)
    {
        string root = dir["root"];
        foreach (string file in new[] { "/bin/sh", "/bin/dash" }.Concat(Libraries("/bin/dash")))
        {
            string real = Path.GetFullPath(new FileInfo(file).LinkTarget is { } t ? Path.Combine(Path.GetDirectoryName(file)!, t) : file);
            string target = root + file;
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(real, target, overwrite: true);
        }
    }

    /// <summary>The shared libraries of a program, from ldd.</summary>
    private static IEnumerable<string> Libraries(string program)
    {
        var r = Run.ProgramAsync("ldd", [program], [], TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        return System.Text.RegularExpressions.Regex.Matches(r.StdoutText, @"(/\S+)").Select(m => m.Value).Distinct();
    }

    // Every flag on first, so that a preset's clearing shows.
    private const string AllFlags = "ignpar,inpck,istrip,iuclc,ixany,ixoff,imaxbel,xcase,echonl,iexten,inlcr,igncr,parmrk,brkint," +
        "ignbrk,noflsh,tostop,echoprt,ocrnl,olcuc,onocr,onlret,ofill,ofdel,cr2,tab2,vmin=5,vtime=3";

    private static DiffCase Stty(string options) => new(["-", $"EXEC:{{dir}}/st,pty,{AllFlags},{options}"], [],
        Prepare: Script("st", "stty -a"), Premise: r => Assert.Contains("speed", r.Socat.StdoutText, StringComparison.OrdinalIgnoreCase));

    private static readonly Dictionary<string, DiffCase> Cases = new()
    {
        ["EXEC:cat echoes"] = new(["-", "EXEC:cat"], Random(200_000)),
        ["EXEC with arguments split at spaces"] = new(["-u", "EXEC:{dir}/args  one   two", "-"], [],
            Prepare: Script("args", "for a in \"$@\"; do printf '[%s]' \"$a\"; done; echo"), Premise: SocatStdout("[one][two]\n")),
        ["EXEC quoted argument is split too"] = new(["-u", "EXEC:{dir}/args 'a b' c", "-"], [],
            Prepare: Script("args", "for a in \"$@\"; do printf '[%s]' \"$a\"; done; echo"), Premise: SocatStdout("[a][b][c]\n")),
        ["EXEC looked up in path=, which is the child's PATH"] = new(["-u", "EXEC:args x,path={dir}", "-"], [],
            Prepare: Script("args", "case $PATH in *:*) echo several;; *) echo one;; esac; echo \"$1\""), Premise: SocatStdout("one\nx\n")),
        ["SYSTEM pipeline"] = new(["-", "SYSTEM:tr a-z A-Z | rev"], B("hello world\n"), Premise: SocatStdout("DLROW OLLEH\n")),
        ["SHELL is SYSTEM"] = new(["-", "SYSTEM:wc -c"], B("12345"), Premise: SocatStdout("5\n")),
        ["EXEC,pipes"] = new(["-", "EXEC:cat,pipes"], Random(100_000)),
        ["SYSTEM,pipes sees a pipe"] = new(["-", "SYSTEM:[ -p /dev/stdin ] && echo pipe,pipes"], [], Premise: SocatStdout("pipe\n")),
        ["SYSTEM default sees a socket"] = new(["-", "SYSTEM:[ -S /dev/stdin ] && echo socket"], [], Premise: SocatStdout("socket\n")),
        ["stderr goes to the relay"] = new(["-", "SYSTEM:echo out; echo err >&2,stderr"], [], Premise: SocatStdout("out\nerr\n")),
        ["without stderr it does not"] = new(["-", "SYSTEM:echo out; echo err >&2"], [], Stderr: StderrCheck.Ignore, Premise: SocatStdout("out\n")),
        ["fdin and fdout"] = new(["-", "SYSTEM:tr a-z A-Z <&3 >&4,fdin=3,fdout=4"], B("lower\n"), Premise: SocatStdout("LOWER\n")),
        ["SYSTEM shell killed by a signal counts as success, as system(3) reports it"] = new(["-", "SYSTEM:kill -TERM $$"], [],
            Stderr: StderrCheck.Ignore),
        ["setsid makes a session leader"] = new(["-u", "EXEC:{dir}/sid,setsid", "-"], [],
            Prepare: Script("sid", "[ $(ps -o sid= -p $$) -eq $$ ] && echo leader || echo member"), Premise: SocatStdout("leader\n")),
        ["no setsid: not a session leader"] = new(["-u", "EXEC:{dir}/sid", "-"], [],
            Prepare: Script("sid", "[ $(ps -o sid= -p $$) -eq $$ ] && echo leader || echo member"), Premise: SocatStdout("member\n")),
        ["setpgid=0 makes a group leader"] = new(["-u", "EXEC:{dir}/pg,setpgid=0", "-"], [],
            Prepare: Script("pg", "[ $(ps -o pgid= -p $$) -eq $$ ] && echo leader || echo member"), Premise: SocatStdout("leader\n")),
        ["-u: the child's stdin stays ours"] = new(["-u", "EXEC:cat", "-"], B("inherited stdin\n"), Premise: SocatStdout("inherited stdin\n")),
        ["-U: the child's stdout stays ours"] = new(["-U", "-", "EXEC:cat"], B("inherited stdout\n"), Premise: SocatStdout("inherited stdout\n")),
        ["pty: the child has a terminal"] = new(["-", "SYSTEM:[ -t 0 ] && [ -t 1 ] && echo terminal,pty"], [],
            Premise: SocatStdout("terminal\r\n")),
        ["pty,raw: no CRLF translation"] = new(["-", "SYSTEM:[ -t 1 ] && echo raw,pty,raw"], [], Premise: SocatStdout("raw\n")),
        ["pty,echo=0 with input"] = new(["-", "SYSTEM:read l; echo got $l,pty,echo=0"], B("line\n"), Premise: SocatStdout("got line\r\n")),
        ["pty,b9600 sets the speed"] = new(["-", "SYSTEM:stty speed,pty,b9600"], [], Premise: SocatStdout("9600\r\n")),
        // Every TERMIOS option, on a pty: the child prints `stty -a` and both relays must set the same.
        ["termios presets and flags"] = Stty("raw"),
        ["termios-rawer"] = Stty("termios-rawer"),
        ["cfmakeraw"] = Stty("cfmakeraw"),
        ["sane"] = Stty("sane"),
        ["termios flags in order"] = Stty("echo=0,icanon=0,vintr=1,veof=7,b115200,raw,icrnl"),
        ["termios delays and speeds"] = Stty("nl1,cr3,tab3,bs1,vt1,ff1,ispeed=13,ospeed=12"),
        ["termios b0"] = Stty("b0"),
        ["termios b4000000"] = Stty("b4000000"),
        ["termios control characters"] = Stty("b50,vquit=8,verase=9,vkill=10,vstart=11,vstop=12,vsusp=13,veol=14,vreprint=15,vdiscard=16,vwerase=17,vlnext=18,veol2=19,vswtc=20"),
        ["termios local flags off"] = Stty("flusho,pendin,echoctl=0,echoke=0,echoe=0,echok=0,cread=0"),
        ["termios control flags and fields"] = Stty("isig=0,hupcl,clocal,crtscts,cstopb,crdly=2,tabdly=1,csize=2,xtabs"),
        ["nofork: the program replaces the relay"] = new(["-", "EXEC:cat,nofork"], B("in place\n"), Premise: SocatStdout("in place\n")),
        ["nofork: its exit status is the exit status"] = new(["-", "SYSTEM:cat; exit 3,nofork"], B("status\n"), ExpectedExit: 3),
        ["nofork on the first address"] = new(["EXEC:cat,nofork", "-"], [], ExpectedExit: 1, Stderr: StderrCheck.Ignore),
        ["su=nobody"] = new(["-u", "EXEC:id,su=nobody", "-"], [], Premise: SocatStdout("uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n")),
        ["su-d=nobody"] = new(["-u", "EXEC:id,su-d=nobody", "-"], []),
        ["su sets the user's environment"] = new(["-u", "SYSTEM:echo $HOME $USER $LOGNAME $SHELL,su=nobody", "-"], [],
            Premise: SocatStdout("/nonexistent nobody nobody /usr/sbin/nologin\n")),
        ["setuid=nobody keeps the groups"] = new(["-u", "EXEC:id,setuid=nobody", "-"], []),
        ["setgid=nogroup"] = new(["-u", "EXEC:id,setgid=nogroup", "-"], [], Premise: SocatStdout("uid=0(root) gid=65534(nogroup) groups=65534(nogroup)\n")),
        ["su to an unknown user"] = new(["-u", "EXEC:id,su=no-such-user-here", "-"], [], ExpectedExit: 1, Stderr: StderrCheck.Ignore),
        ["chroot runs the program in the new root"] = new(["-u", "SYSTEM:pwd; echo inside > /marker; read l < /marker; echo $l,chroot={dir}/root", "-"], [],
            Prepare: MinimalRoot, Premise: SocatStdout("/\ninside\n")),
        ["raw on a non-terminal"] = new(["-", "EXEC:cat,raw"], [], ExpectedExit: 1, Stderr: StderrCheck.Ignore),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    [SocatTheory]
    [MemberData(nameof(Names))]
    public Task SameAsSocat(string name) => Cases[name].RunAsync();
}
