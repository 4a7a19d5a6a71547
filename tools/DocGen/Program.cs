namespace SharpCat.DocGen;

/// <summary><c>DocGen OUTDIR</c>: writes the man page and the shell completions (tools/gen-docs.sh).</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length != 1)
        {
            Console.Error.WriteLine("usage: DocGen OUTDIR");
            return 2;
        }
        foreach (string file in Generator.Write(args[0])) Console.WriteLine(file);
        return 0;
    }
}

/// <summary>The files package.sh installs, under the names it expects.</summary>
internal static class Generator
{
    public static IReadOnlyList<string> Write(string outDir)
    {
        Directory.CreateDirectory(outDir);
        (string Name, string Text)[] files =
        [
            ("sharpcat.1", ManPage.Build()),
            ("sharpcat.bash-completion", BashCompletion.Build()),
            ("_sharpcat", ZshCompletion.Build()),
            ("sharpcat.fish", FishCompletion.Build()),
        ];
        var written = new List<string>();
        foreach (var (name, text) in files)
        {
            string path = Path.Combine(outDir, name);
            File.WriteAllText(path, text.ReplaceLineEndings("\n"));
            written.Add(path);
        }
        return written;
    }
}
