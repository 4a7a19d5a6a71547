namespace SharpCat.Native;

/// <summary>
/// One value of a control message as socat names and prints it ("ttl", "64"), and the variable it
/// sets for a child program where socat names that otherwise (IP_LOCADDR for IP_PKTINFO's locaddr).
/// </summary>
internal readonly record struct AncillaryField(string Name, string Value, string? Variable = null);

/// <summary>
/// A control message in the form socat's xiolog_ancillary_* functions give it: a type ("IP_TTL"),
/// its values, and the notice a few types also get ("Ancillary message: ttl=64").
/// </summary>
internal sealed record AncillaryMessage(string Type, AncillaryField[] Fields, string? Notice = null)
{
    /// <summary>
    /// The variable (without SOCAT_) a field sets, by socat's rule: the field's own variable, else
    /// the type when it ends with the field's name (IP_TTL, ttl), else TYPE_NAME in capitals.
    /// </summary>
    public string VariableOf(AncillaryField field) =>
        field.Variable
        ?? (Type.EndsWith(field.Name, StringComparison.OrdinalIgnoreCase) ? Type : $"{Type}_{field.Name}".ToUpperInvariant());
}
