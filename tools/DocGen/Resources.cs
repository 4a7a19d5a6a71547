namespace SharpCat.DocGen;

/// <summary>The handwritten texts embedded from Text/ (and README.md), by file name.</summary>
internal static class Resources
{
    public static string Read(string name)
    {
        using var stream = typeof(Resources).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"resource {name} is not embedded (tools/DocGen/DocGen.csproj)");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().ReplaceLineEndings("\n");
    }
}
