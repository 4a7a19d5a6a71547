using System.Text;
using Microsoft.Win32.SafeHandles;
using SharpCat.Native;

namespace SharpCat.Endpoints;

/// <summary>
/// The credentials PROXY sends as <c>Proxy-authorization: Basic …</c>: <c>proxyauth=user:pass</c>, or
/// the content of <c>proxy-authorization-file</c>, taken whole as socat takes it (a final newline is
/// part of it, and a NUL ends it: socat reads it as a C string), so that a proxy set up for socat
/// accepts the same file.
/// </summary>
internal static class ProxyCredentials
{
    /// <summary>The Base64 credentials, or null when none are given.</summary>
    public static string? Basic(Catalog.OptionSet options)
    {
        string? given = options.Text("proxy-authorization");
        if (options.Text("proxy-authorization-file") is not { } file)
            return given is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes(given));
        // With proxyauth too the address was refused before opening (OptionConflicts).
        byte[] content = ReadFile(file);
        int end = Array.IndexOf(content, (byte)0);
        return Convert.ToBase64String(content, 0, end < 0 ? content.Length : end);
    }

    private static byte[] ReadFile(string path)
    {
        int fd = path.Contains('\0') ? -1 : Libc.Open(path, Posix.O_RDONLY | Posix.O_CLOEXEC, 0);
        if (fd < 0)
            throw new SharpCatException($"open(\"{path}\", O_RDONLY): {(path.Contains('\0') ? "a file name cannot hold a NUL byte" : Posix.StrError(Posix.Errno))}");
        using var file = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, bufferSize: 0);
        using var content = new MemoryStream();
        try
        {
            file.CopyTo(content);
        }
        catch (IOException e)
        {
            throw new SharpCatException($"read(<{path}>): {e.Message}");
        }
        return content.ToArray();
    }
}
