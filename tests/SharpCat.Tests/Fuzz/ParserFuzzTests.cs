using CsCheck;
using Xunit.Abstractions;

namespace SharpCat.Tests.Fuzz;

/// <summary>
/// Fuzzes the address grammar, the option catalog and value parsers, the parameter validators and
/// the global options (docs/RELIABILITY.md, "Fuzzing"). The suite runs a bounded, seeded sample;
/// <c>tools/fuzz.sh</c> runs the long one (<c>SHARPCAT_FUZZ_INPUTS</c>, <c>SHARPCAT_FUZZ_SEED</c>,
/// <c>SHARPCAT_FUZZ_THREADS</c>).
/// </summary>
public class ParserFuzzTests(ITestOutputHelper output)
{
    private const long SuiteInputs = 10_000;   // per property: 20 000 in the suite

    [Fact]
    public void AddressesEndInAMessageOrAreAccepted() =>
        Check("addresses", FuzzInputs.Address, ParsePath.AddressBothWays, FuzzRunner.Literal, ParsePath.Stage.Parse);

    [Fact]
    public void CommandLinesEndInAMessageOrAreAccepted() =>
        Check("command lines", FuzzInputs.CommandLine, ParsePath.CommandLine, FuzzRunner.Literal, ParsePath.Stage.GlobalOptions);

    /// <summary>
    /// Inputs the fuzzing found or that were found while writing it, each rejected before anything
    /// is opened, with the message that names the token. (socat's <c>\0</c> escape puts a NUL into a
    /// value; a C lookup would stop there and take <c>nobody\0zz</c> for <c>nobody</c>.)
    /// </summary>
    public static TheoryData<string, string> Found => new()
    {
        { "OPEN:/tmp/x,creat,user=nobody\\0zz", "option \"user\": unknown user \"nobody\0zz\"" },
        { "OPEN:/tmp/x,creat,group=root\\0zz", "option \"group\": unknown group \"root\0zz\"" },
        { "EXEC:/bin/true,setuid=nobody\\0", "option \"setuid\": unknown user \"nobody\0\"" },
        { "TCP:127.0.0.1:www\\0x", "unknown service \"www\0x\" for tcp" },
        { "TCP-LISTEN:\"ssh\\0\"", "unknown service \"ssh\0\" for tcp" },
        // Found by the run over the merged command-line checks (seed 0x2c0ffee5): .NET's file API
        // threw on a NUL and on a name over NAME_MAX instead of a message.
        { "OPENSSL:127.0.0.1:1,cafile=/tm\\0p/d/missing", "cafile \"/tm\\0p/d/missing\": a file name cannot hold a NUL byte" },
        { "OPENSSL:127.0.0.1:1,cert=/tmp/\\0x", "cert \"/tmp/\\0x\": a file name cannot hold a NUL byte" },
        { "OPENSSL:127.0.0.1:1,capath=/tmp/\\0x", "capath \"/tmp/\\0x\": a file name cannot hold a NUL byte" },
        { $"OPENSSL:127.0.0.1:1,cafile=/tmp/{new string('i', 300)}", $"cafile \"/tmp/{new string('i', 300)}\": File name too long" },
    };

    [Theory]
    [MemberData(nameof(Found))]
    public void FoundInputIsRejectedWithItsMessage(string address, string expected)
    {
        var e = Assert.ThrowsAny<SharpCatException>(() =>
        {
            var spec = SharpCat.Grammar.EndpointSpec.Parse(address);
            SharpCat.Endpoints.EndpointRegistry.Validate(SharpCat.Catalog.AddressResolver.Resolve(spec.Primary));
        });
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void TheSeedCorpusHoldsTheReadmeExamples()
    {
        var readme = FuzzInputs.ReadmeExamples().ToList();
        Assert.Contains("TCP-LISTEN:8080,reuseaddr,fork", readme);
        Assert.Contains("SYSTEM:tr a-z A-Z", readme);
        Assert.All(readme, a => Assert.Contains(a, FuzzInputs.Corpus));
        Assert.True(FuzzInputs.Corpus.Length > 150, $"corpus of {FuzzInputs.Corpus.Length}");
    }

    [Fact]
    public void GenerationIsDeterministicInTheSeed()
    {
        for (long i = 0; i < 200; i++)
            Assert.Equal(FuzzRunner.Generate(FuzzInputs.CommandLine, 42, i), FuzzRunner.Generate(FuzzInputs.CommandLine, 42, i));
    }

    private void Check<T>(string name, Gen<T> gen, Func<T, ParsePath.Stage> target, Func<T, string> show, ParsePath.Stage first)
    {
        var report = FuzzRunner.Run(name, gen, target, show, FuzzRunner.Inputs(SuiteInputs), FuzzRunner.Seed, FuzzRunner.Threads);
        output.WriteLine(report.ToString());
        foreach (string f in report.Failures) output.WriteLine(f);
        Assert.True(report.Failures.Count == 0, report + "\n" + string.Join("\n", report.Failures));
        // The generators must reach every stage, the accepting end included.
        Assert.All(report.Stages.Skip((int)first), n => Assert.True(n > 0, report.ToString()));
    }
}
