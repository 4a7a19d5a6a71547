using SharpCat.Catalog;
using SharpCat.Cli;
using SharpCat.Endpoints;
using SharpCat.Grammar;

namespace SharpCat.Tests.Fuzz;

/// <summary>
/// Everything the command line goes through before an address is opened, in the order the program
/// runs it: global options, then each address parsed, checked against the catalog (keyword,
/// parameter count, options, values) and validated (ports, service names, socket paths). Nothing
/// here opens anything. Bad input may only end in a <see cref="SharpCatException"/> with a message;
/// anything else escapes to the fuzz runner as a bug.
/// </summary>
internal static class ParsePath
{
    /// <summary>How far an input got: rejected while parsing, resolving or validating, or accepted.</summary>
    public enum Stage { GlobalOptions, Parse, Resolve, Validate, Accepted }

    public static Stage CommandLine(string[] args)
    {
        CommandLine cl;
        try
        {
            cl = GlobalOptions.Parse(args, logging: null);
        }
        catch (SharpCatException e)
        {
            return Rejected(e, Stage.GlobalOptions);
        }
        var furthest = Stage.Accepted;
        foreach (string address in cl.Addresses)
        {
            var stage = Address(address, cl.Relay.CheckOptionGroups, cl.Relay.Sloppy);
            if (stage < furthest) furthest = stage;
        }
        return furthest;
    }

    /// <summary>One address, as <c>RelayRunner</c> checks it before opening either side.</summary>
    public static Stage Address(string text, bool checkGroups = true, bool sloppy = false)
    {
        EndpointSpec spec;
        try
        {
            spec = EndpointSpec.Parse(text);
        }
        catch (SharpCatException e)
        {
            return Rejected(e, Stage.Parse);
        }
        ResolvedAddress read;
        ResolvedAddress? write;
        try
        {
            read = AddressResolver.Resolve(spec.Primary, checkGroups, sloppy);
            write = spec.WriteSide is null ? null : AddressResolver.Resolve(spec.WriteSide, checkGroups, sloppy);
        }
        catch (SharpCatException e)
        {
            return Rejected(e, Stage.Resolve);
        }
        try
        {
            EndpointRegistry.Validate(read);
            if (write is not null) EndpointRegistry.Validate(write);
        }
        catch (SharpCatException e)
        {
            return Rejected(e, Stage.Validate);
        }
        return Stage.Accepted;
    }

    /// <summary>An address under both group-check settings: without them (<c>-g</c>) more values reach their parsers.</summary>
    public static Stage AddressBothWays(string text)
    {
        var strict = Address(text, checkGroups: true);
        var loose = Address(text, checkGroups: false, sloppy: true);
        return loose > strict ? loose : strict;
    }

    private static Stage Rejected(SharpCatException e, Stage stage)
    {
        if (string.IsNullOrWhiteSpace(e.Message))
            throw new InvalidOperationException($"{e.GetType().Name} without a message", e);
        return stage;
    }
}
