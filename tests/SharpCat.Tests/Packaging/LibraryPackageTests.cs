using System.IO.Compression;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Packaging;

/// <summary>The library package: what it holds, and a program built against it that relays bytes.</summary>
[Collection(PackagingCollection.Name)]
public class LibraryPackageTests
{
    [Fact]
    public void PackageCarriesItsMetadataAndSymbols()
    {
        string nupkg = Packages.Require($"SharpCat.{Packages.Version}.nupkg");
        string snupkg = Packages.Require($"SharpCat.{Packages.Version}.snupkg");

        using (var zip = ZipFile.OpenRead(nupkg))
        {
            string[] names = zip.Entries.Select(e => e.FullName).ToArray();
            Assert.Contains("lib/net10.0/SharpCat.dll", names);
            Assert.Contains("lib/net10.0/SharpCat.xml", names);
            Assert.Contains("PACKAGE.md", names);
            using var reader = new StreamReader(zip.GetEntry("SharpCat.nuspec")!.Open());
            string nuspec = reader.ReadToEnd();
            Assert.Contains("<id>SharpCat</id>", nuspec);
            Assert.Contains($"<version>{Packages.Version}</version>", nuspec);
            Assert.Contains("<license type=\"expression\">MIT</license>", nuspec);
            Assert.Contains("<readme>PACKAGE.md</readme>", nuspec);
            Assert.Contains("<authors>The SharpCat authors</authors>", nuspec);
        }
        using (var zip = ZipFile.OpenRead(snupkg))
            Assert.Contains("lib/net10.0/SharpCat.pdb", zip.Entries.Select(e => e.FullName));
    }

    [Fact]
    public async Task ProgramBuiltAgainstThePackageRelaysBytes()
    {
        Packages.Require($"SharpCat.{Packages.Version}.nupkg");
        using var tmp = new TempDir();
        string project = tmp["sample"];
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "Sample.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="SharpCat" Version="[{Packages.Version}]" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "Program.cs"), SampleProgram);

        // SharpCat only from the local folder (a feed may hold another package of that name); its
        // dependencies, if it has any, from the sources this machine is configured with. A fresh
        // packages folder, so that a cached SharpCat of the same version cannot stand in for it.
        var machineSources = await MachineSourcesAsync();
        string config = Packages.WriteNuGetConfig(tmp.Path,
            [("local", Packages.Folder, ["SharpCat"]), .. machineSources.Select((s, i) => ($"machine{i}", s, new[] { "*" }))]);
        var env = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = tmp["nuget-packages"] };

        var build = await Packages.RunAsync("dotnet",
            ["build", project, "-c", "Release", "-o", tmp["out"], "-nologo", "--configfile", config],
            TimeSpan.FromSeconds(240), tmp.Path, env);
        Assert.True(build.ExitCode == 0, $"building the sample failed:\n{build.StdoutText}{build.StderrText}");
        Assert.True(Directory.Exists(tmp[$"nuget-packages/sharpcat/{Packages.Version}"]), "SharpCat was not restored into the fresh packages folder");

        var run = await Packages.RunAsync("dotnet", [tmp["out/Sample.dll"]], TimeSpan.FromSeconds(60), tmp.Path, env);
        Assert.True(run.ExitCode == 0, $"the sample failed:\n{run.StdoutText}{run.StderrText}");
        Assert.Contains("relayed 4096 bytes there and back", run.StdoutText);
    }

    [Fact]
    public async Task TheSampleFixtureRunsARealPostgresBehindTheRelay()
    {
        Packages.Require($"SharpCat.{Packages.Version}.nupkg");
        using var tmp = new TempDir();
        // The sample as a user would take it: out of the repository, restored from the package.
        string project = tmp["PostgresRelay.Tests"];
        Directory.CreateDirectory(project);
        foreach (string file in Directory.GetFiles(Path.Combine(Packages.RepoRoot, "samples", "PostgresRelay.Tests")))
            File.Copy(file, Path.Combine(project, Path.GetFileName(file)));
        var machineSources = await MachineSourcesAsync();
        Packages.WriteNuGetConfig(tmp.Path,
            [("local", Packages.Folder, ["SharpCat"]), .. machineSources.Select((s, i) => ($"machine{i}", s, new[] { "*" }))]);
        var env = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = tmp["nuget-packages"] };

        var test = await Packages.RunAsync("dotnet",
            ["test", project, "-c", "Release", "-nologo", $"-p:SharpCatVersion={Packages.Version}"],
            TimeSpan.FromSeconds(300), tmp.Path, env);
        Assert.True(test.ExitCode == 0, $"the sample's tests failed:\n{test.StdoutText}{test.StderrText}");
        Assert.True(Directory.Exists(tmp[$"nuget-packages/sharpcat/{Packages.Version}"]), "SharpCat was not restored into the fresh packages folder");
        Assert.Matches(@"Passed!\s+- Failed:\s+0, Passed:\s+2\b", test.StdoutText);
    }

    /// <summary>The enabled package sources of this machine's own NuGet configuration.</summary>
    private static async Task<string[]> MachineSourcesAsync()
    {
        var r = await Packages.RunAsync("dotnet", ["nuget", "list", "source", "--format", "short"], TimeSpan.FromSeconds(60), Path.GetTempPath());
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.StdoutText.Split('\n').Where(l => l.StartsWith("E ", StringComparison.Ordinal)).Select(l => l[2..].Trim()).ToArray();
    }

    // The relay connects to two listeners of the program's own (ports from the kernel, so no
    // race for a free port): one sends a block and reads what comes back, the other echoes it.
    private const string SampleProgram = """
        using System.Net;
        using System.Net.Sockets;
        using SharpCat;

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var payload = new byte[4096];
        Random.Shared.NextBytes(payload);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        client.Listen(1);
        using var echo = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        echo.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        echo.Listen(1);
        int clientPort = ((IPEndPoint)client.LocalEndPoint!).Port, echoPort = ((IPEndPoint)echo.LocalEndPoint!).Port;

        var echoing = Task.Run(async () =>
        {
            using var s = await echo.AcceptAsync(cts.Token);
            var buffer = new byte[1024];
            int n;
            while ((n = await s.ReceiveAsync(buffer, cts.Token)) > 0) await s.SendAsync(buffer.AsMemory(0, n), cts.Token);
            s.Shutdown(SocketShutdown.Send);
        });
        var talking = Task.Run(async () =>
        {
            using var s = await client.AcceptAsync(cts.Token);
            await s.SendAsync(payload, cts.Token);
            s.Shutdown(SocketShutdown.Send);
            var received = new MemoryStream();
            var buffer = new byte[1024];
            int n;
            while ((n = await s.ReceiveAsync(buffer, cts.Token)) > 0) received.Write(buffer, 0, n);
            return received.ToArray();
        });

        await RelayHost.RunAsync($"TCP:127.0.0.1:{clientPort}", $"TCP:127.0.0.1:{echoPort}", cancellationToken: cts.Token);
        byte[] back = await talking;
        await echoing;
        if (!back.AsSpan().SequenceEqual(payload))
        {
            Console.Error.WriteLine($"got {back.Length} bytes back, not the {payload.Length} sent");
            return 1;
        }
        Console.WriteLine($"relayed {payload.Length} bytes there and back");
        return 0;
        """;
}
