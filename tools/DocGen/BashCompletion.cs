namespace SharpCat.DocGen;

internal static class BashCompletion
{
    public static string Build() => "";
}
