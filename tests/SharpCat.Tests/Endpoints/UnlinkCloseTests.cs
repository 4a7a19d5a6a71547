using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// unlink-close on the socket files an address makes: the listening or receiving socket and a
/// client's bind= socket go at close unless unlink-close=0 keeps them (socat's test.sh
/// UNIX_CONNECT_UNLINK and UNIX_SENDTO_UNLINK), through sharpcat and socat alike.
/// </summary>
public class UnlinkCloseTests
{
    public static TheoryData<string, bool, string> Cases()
    {
        var data = new TheoryData<string, bool, string>();
        foreach (string program in new[] { "sharpcat", "socat" })
            foreach (bool stream in new[] { true, false })
                foreach (string unlinkClose in new[] { "", ",unlink-close=0", ",unlink-close=1" })
                    data.Add(program, stream, unlinkClose);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task SocketFilesGoAtCloseUnlessUnlinkCloseIsOff(string program, bool stream, string unlinkClose)
    {
        string binary = program == "sharpcat"
            ? Binaries.SharpCat
            : Binaries.Socat ?? throw new InvalidOperationException("socat is not installed (test.sh installs it)");
        using var dir = new TempDir();
        string server = dir["server"], client = dir["client"];
        using var receiver = LiveProcess.Start(binary, "-d", "-d", "-u",
            $"{(stream ? "UNIX-LISTEN" : "UNIX-RECV")}:{server}{unlinkClose}", $"CREATE:{dir["out"]}");
        if (stream) await receiver.WaitForStderrAsync("listening on");
        else await Wait.UntilAsync(() => File.Exists(server), seconds: 20);

        var sent = await Run.ProgramAsync(binary, ["-", $"{(stream ? "UNIX-CONNECT" : "UNIX-SENDTO")}:{server},bind={client}{unlinkClose}"],
            "datagram or stream\n"u8.ToArray(), Run.DefaultTimeout);
        Assert.True(sent.ExitCode == 0, sent.ToString());
        await Wait.UntilAsync(() => File.Exists(dir["out"]) && File.ReadAllText(dir["out"]) == "datagram or stream\n", seconds: 20);
        // A stream server ends with its one connection; a receiver runs until it is told to stop.
        if (!stream) receiver.Signal(15);
        await receiver.WaitForExitAsync();

        bool kept = unlinkClose == ",unlink-close=0";
        Assert.Equal(kept, File.Exists(server));
        Assert.Equal(kept, File.Exists(client));
    }
}
