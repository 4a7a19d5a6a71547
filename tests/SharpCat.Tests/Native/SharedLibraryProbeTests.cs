using SharpCat.Native;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Native;

/// <summary>-V's look for a library without loading it: found as ld.so finds it, and only when it is an ELF object of this machine.</summary>
public class SharedLibraryProbeTests
{
    [Fact]
    public void InstalledLibrariesAreFoundThroughTheLoadersCache()
    {
        Assert.True(SharedLibraryProbe.CanFind("libc.so.6"));
        Assert.True(SharedLibraryProbe.CanFind("libwrap.so.0")); // with socat, which test.sh installs (Debian's socat needs libwrap0)
        Assert.False(SharedLibraryProbe.CanFind("libsharpcat-none.so.9"));
    }

    [Fact]
    public void AFileThatIsNoElfObjectOfThisMachineIsNotALibrary()
    {
        using var dir = new TempDir();
        // A 32-bit ELF header (class 1) and a text file, each named as a library.
        File.WriteAllBytes(dir["libsharpcat-elf32.so.1"], [0x7f, (byte)'E', (byte)'L', (byte)'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 62, 0]);
        File.WriteAllText(dir["libsharpcat-text.so.1"], "not a library, but long enough\n");
        File.Copy(File.Exists("/lib/x86_64-linux-gnu/libc.so.6") ? "/lib/x86_64-linux-gnu/libc.so.6" : "/lib64/libc.so.6", dir["libsharpcat-copy.so.1"]);
        string path = $"/nonexistent:{dir.Path}";
        Assert.False(SharedLibraryProbe.CanFind("libsharpcat-elf32.so.1", path));
        Assert.False(SharedLibraryProbe.CanFind("libsharpcat-text.so.1", path));
        Assert.True(SharedLibraryProbe.CanFind("libsharpcat-copy.so.1", path));
        Assert.False(SharedLibraryProbe.CanFind("libsharpcat-copy.so.1", null));
    }
}
