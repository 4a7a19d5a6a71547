namespace SharpCat.Tests.Support;

/// <summary>A fresh directory per test, removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("sharpcat-test-").FullName;

    public string this[string name] => System.IO.Path.Combine(Path, name);

    /// <summary>The names of the entries in the directory, sorted.</summary>
    public string[] Entries() => Directory.EnumerateFileSystemEntries(Path).Select(System.IO.Path.GetFileName).Order().ToArray()!;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
