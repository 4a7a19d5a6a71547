using System.Text;
using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// TEXT:&lt;string&gt; (socat 1.8.1): the string, as the address parser left it (quotes gone, <c>\n</c>
/// a newline), is the data read from the address, then end of file; what is written to it goes to
/// stdout. As in socat the text waits in a pipe, and a C string ends at its first NUL. Written to
/// only (<c>-U</c>, the second address of <c>-u</c>), it is STDOUT, with socat's warning.
/// </summary>
internal static class TextEndpoints
{
    private const int F_SETPIPE_SZ = 1031;

    public static async ValueTask<IChannel> Open(OpenRequest request, CancellationToken ct)
    {
        bool read = (request.Access & Access.Read) != 0, write = (request.Access & Access.Write) != 0;
        if (!read)
        {
            Log.Warn("TEXT address in write-only context degenerates to STDOUT");
            return await StdioEndpoints.OpenStdout(request, ct).ConfigureAwait(false);
        }
        var text = Data(request.Parameters[0]);
        Log.Info("creating pipe for text reading");
        var (r, w) = Posix.Pipe();
        try
        {
            FdOptions.ApplyFdPhase(r, request.Options);
            FdOptions.ApplyLatePhase(r, request.Options);
            // The whole text fits before anyone reads: a pipe holds 64 KiB, an argument up to 128 KiB.
            if (text.Length > 65536 && Libc.Fcntl(w, F_SETPIPE_SZ, text.Length) < 0)
                throw Posix.Fail($"fcntl({w}, F_SETPIPE_SZ, {text.Length})");
            Posix.WriteAll(w, text);
        }
        catch
        {
            Posix.Close(r);
            throw;
        }
        finally
        {
            Posix.Close(w);
        }
        var reader = new FdChannel(new FdStream(r, owns: true), null);
        Log.Notice("reading from data pipe");
        if (!write) return reader;
        try
        {
            return new DualChannel(reader, await StdioEndpoints.OpenStdout(request, ct).ConfigureAwait(false));
        }
        catch
        {
            await reader.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The bytes socat writes: the parameter's UTF-8 up to its first NUL (strlen).</summary>
    private static byte[] Data(string parameter)
    {
        int nul = parameter.IndexOf('\0');
        return Encoding.UTF8.GetBytes(nul < 0 ? parameter : parameter[..nul]);
    }
}
