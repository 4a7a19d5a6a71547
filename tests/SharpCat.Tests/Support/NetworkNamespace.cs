namespace SharpCat.Tests.Support;

/// <summary>
/// Runs a bash script in a network namespace of its own (<c>unshare -n</c>): only a loopback, down
/// until the script brings it up, so interfaces, routes and multicast memberships it makes touch
/// nothing real. The arguments are the script's $1, $2, …
/// </summary>
public static class NetworkNamespace
{
    public static Task<RunResult> RunAsync(string script, params string[] args) =>
        Run.ProgramAsync("unshare", ["-n", "bash", "-c", script, "netns", .. args], [], TimeSpan.FromSeconds(30));
}
