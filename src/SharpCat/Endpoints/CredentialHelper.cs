using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Native;

namespace SharpCat.Endpoints;

/// <summary>
/// su, su-d, setuid, setgid and chroot on EXEC/SYSTEM: what posix_spawn cannot do for a child.
/// The child is then the sharpcat program itself in a helper mode: a fresh process that makes
/// these changes (chroot, then groups, gid and uid, in socat's order) and executes the program in
/// its own place, so the pid, fds and session that posix_spawn set up are the program's.
/// </summary>
internal static class CredentialHelper
{
    /// <summary>The first argument that selects the helper mode of the sharpcat program.</summary>
    public const string Marker = "--exec-with-credentials";

    private static readonly string[] Handled = ["chroot", "setuid", "setgid", "substuser", "substuser-delayed"];

    /// <summary>The sharpcat program, which can act as the helper; null in a library host.</summary>
    public static string? HelperProgram { get; set; }

    public static bool Needed(OptionSet options)
    {
        foreach (string name in Handled) if (options.Has(name)) return true;
        return false;
    }

    /// <summary>The helper's argv that runs <paramref name="argv"/> with the address's credentials, and the environment su sets.</summary>
    public static (string Program, string[] Argv) Wrap(OptionSet options, string program, string[] argv, string? searchPath, List<string> environment)
    {
        string helper = HelperProgram
            ?? throw new SharpCatException("options su, su-d, setuid, setgid and chroot need the sharpcat program: a library host cannot start a child with them");
        var args = new List<string> { helper, Marker };
        if (options.Text("chroot") is { } root) args.Add($"chroot={root}");
        uint? uid = options.Id("setuid"), gid = options.Id("setgid");
        if ((options.Id("substuser") ?? options.Id("substuser-delayed")) is uint su)
        {
            var user = Posix.GetUser(su) ?? throw new SharpCatException($"getpwuid({su}): no such user");
            uid = su;
            gid = user.Gid;
            args.Add($"groups={string.Join(',', Posix.GroupsOf(user.Name, user.Gid))}");
            environment.AddRange([$"HOME={user.Home}", $"USER={user.Name}", $"LOGNAME={user.Name}", $"SHELL={user.Shell}"]);
        }
        else if (gid is uint g) args.Add($"groups={g}");
        if (gid is uint gg) args.Add($"gid={gg}");
        if (uid is uint uu) args.Add($"uid={uu}");
        if (searchPath is not null) args.Add($"path={searchPath}");
        args.Add("--");
        args.Add(program);
        args.AddRange(argv);
        return (helper, args.ToArray());
    }

    /// <summary>
    /// The helper mode: <c>sharpcat --exec-with-credentials [chroot=D] [groups=G,…] [gid=N] [uid=N]
    /// [path=P] -- program argv0 argv1 …</c>. Returns only on failure, with the exit status.
    /// </summary>
    public static int Run(string[] args)
    {
        int i = 1;
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        for (; i < args.Length && args[i] != "--"; i++)
        {
            int eq = args[i].IndexOf('=');
            if (eq > 0) settings[args[i][..eq]] = args[i][(eq + 1)..];
        }
        if (i + 2 >= args.Length) { Log.Error($"{Marker}: no program given"); return 1; }
        string program = args[i + 1];
        string[] argv = args[(i + 2)..];
        try
        {
            if (settings.TryGetValue("chroot", out var root))
            {
                if (Libc.Chroot(root) != 0) throw Posix.Fail($"chroot(\"{root}\")");
                if (Libc.Chdir("/") != 0) throw Posix.Fail("chdir(\"/\")");
            }
            if (settings.TryGetValue("groups", out var groups)) Posix.SetGroups(groups.Split(',').Select(uint.Parse).ToArray());
            if (settings.TryGetValue("gid", out var gid) && Libc.SetGid(uint.Parse(gid)) != 0) throw Posix.Fail($"setgid({gid})");
            if (settings.TryGetValue("uid", out var uid) && Libc.SetUid(uint.Parse(uid)) != 0) throw Posix.Fail($"setuid({uid})");
            string file = ProgramLookup.Find(program, settings.GetValueOrDefault("path") ?? Environment.GetEnvironmentVariable("PATH"))
                ?? throw new PosixException(ExecEndpoints.ExecvpCall(program, argv), Posix.ENOENT);
            int errno = ChildSpawn.ExecInPlace(file, argv, []);
            throw new PosixException(ExecEndpoints.ExecvpCall(program, argv), errno);
        }
        catch (SharpCatException e)
        {
            Log.Error(e.Message);
            return 1;
        }
    }
}
