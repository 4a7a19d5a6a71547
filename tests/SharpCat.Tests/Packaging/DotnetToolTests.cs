using SharpCat.Tests.Support;

namespace SharpCat.Tests.Packaging;

/// <summary>The dotnet tool: installed from the local folder as a user would, then run.</summary>
[Collection(PackagingCollection.Name)]
public class DotnetToolTests
{
    [Fact]
    public async Task InstallsFromTheLocalFolderAndRuns()
    {
        Packages.Require($"SharpCat.Tool.{Packages.Version}.nupkg");
        Packages.Require($"SharpCat.Tool.linux-x64.{Packages.Version}.nupkg");
        using var tmp = new TempDir();
        // The tool has no dependencies: the local folder is the only source, and a fresh packages
        // folder keeps a cached package of the same version from standing in for the new one.
        string config = Packages.WriteNuGetConfig(tmp.Path, ("local", Packages.Folder, []));
        var env = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = tmp["nuget-packages"] };

        var install = await Packages.RunAsync("dotnet",
            ["tool", "install", "--tool-path", tmp["tools"], "SharpCat.Tool", "--version", Packages.Version, "--configfile", config],
            TimeSpan.FromSeconds(120), tmp.Path, env);
        Assert.True(install.ExitCode == 0, $"dotnet tool install failed:\n{install.StdoutText}{install.StderrText}");

        // The command is the NativeAOT binary of the linux-x64 package, not a dotnet-hosted dll.
        string command = tmp["tools/sharpcat"];
        Assert.True(File.Exists(command), $"{command} is missing after the install:\n{install.StdoutText}");
        Assert.EndsWith("/tools/any/linux-x64/sharpcat-cli", new FileInfo(command).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? command);

        var version = await Run.ProgramAsync(command, ["-V"], [], Run.DefaultTimeout);
        Assert.True(version.ExitCode == 0, version.ToString());
        Assert.Contains($"sharpcat version {Packages.Version} ", version.StdoutText);

        var relay = await Run.ProgramAsync(command, ["-", "PIPE"], "echoed by the tool\n"u8.ToArray(), Run.DefaultTimeout);
        Assert.True(relay.ExitCode == 0, relay.ToString());
        Assert.Equal("echoed by the tool\n", relay.StdoutText);
    }
}
