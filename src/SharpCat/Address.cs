using System.Globalization;
using System.Text;
using SharpCat.Catalog;
using SharpCat.Endpoints;
using SharpCat.Grammar;

namespace SharpCat;

/// <summary>
/// An address built from typed parts instead of written as text: each step is checked against the
/// catalog at once (the keyword, the number of parameters, each option's name, group and value),
/// and <see cref="ToString"/> gives the same address in socat's syntax, quoted where needed.
/// Instances are immutable; every method returns a new one.
/// </summary>
/// <example>
/// <code>
/// var listen = Address.TcpListen(0).With("bind", "127.0.0.1").Fork().With("max-children", 10);
/// var server = Address.Tcp("127.0.0.1", 5432);
/// // listen.ToString() == "TCP-LISTEN:0,bind=127.0.0.1,fork,max-children=10"
/// await using var relay = new RelayHost(listen, server);
/// </code>
/// </example>
public sealed class Address
{
    private readonly string _keyword;
    private readonly string[] _parameters;
    private readonly AddressOption[] _options;
    private readonly Address? _write;

    private Address(string keyword, string[] parameters, AddressOption[] options, Address? write)
    {
        _keyword = keyword;
        _parameters = parameters;
        _options = options;
        _write = write;
        var spec = ToSingleSpec();
        EndpointRegistry.Validate(AddressResolver.Resolve(spec));
    }

    /// <summary>Any address type of the catalog, with its parameters as text (<c>Address.Of("SCTP-CONNECT", "host", "80")</c>).</summary>
    /// <exception cref="SharpCatException">The type is unknown or not in this build, or the parameters do not fit it.</exception>
    public static Address Of(string keyword, params string[] parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyword);
        ArgumentNullException.ThrowIfNull(parameters);
        return new(keyword, [.. parameters], [], null);
    }

    /// <summary>Standard input and output (<c>STDIO</c>, written <c>-</c> on a command line).</summary>
    public static Address Stdio() => Of("STDIO");

    /// <summary>A TCP connection to a host (name, IPv4 or IPv6 literal) and port (<c>TCP:host:port</c>).</summary>
    public static Address Tcp(string host, int port) => Of("TCP", Host(host), Port(port));

    /// <summary>A TCP listener (<c>TCP-LISTEN:port</c>); port 0 lets the system choose (see <see cref="RelayHost.LocalEndPoints"/>).</summary>
    public static Address TcpListen(int port) => Of("TCP-LISTEN", Port(port));

    /// <summary>UDP to a host and port (<c>UDP:host:port</c>).</summary>
    public static Address Udp(string host, int port) => Of("UDP", Host(host), Port(port));

    /// <summary>UDP from the first peer that sends to this port (<c>UDP-LISTEN:port</c>).</summary>
    public static Address UdpListen(int port) => Of("UDP-LISTEN", Port(port));

    /// <summary>A connection to a UNIX stream socket (<c>UNIX-CONNECT:path</c>).</summary>
    public static Address UnixConnect(string path) => Of("UNIX-CONNECT", path);

    /// <summary>A UNIX stream socket listener (<c>UNIX-LISTEN:path</c>).</summary>
    public static Address UnixListen(string path) => Of("UNIX-LISTEN", path);

    /// <summary>An existing file or device (<c>OPEN:path</c>; add <c>creat</c> to create it).</summary>
    public static Address Open(string path) => Of("OPEN", path);

    /// <summary>A file created (or emptied) for writing (<c>CREATE:path</c>).</summary>
    public static Address Create(string path) => Of("CREATE", path);

    /// <summary>An unnamed pipe: what is written to it is read back (<c>PIPE</c>).</summary>
    public static Address Pipe() => Of("PIPE");

    /// <summary>A program started with its arguments, split at spaces as socat splits them (<c>EXEC:command</c>).</summary>
    public static Address Exec(string command) => Of("EXEC", command);

    /// <summary>A shell command run by <c>/bin/sh -c</c> (<c>SYSTEM:command</c>).</summary>
    public static Address ShellCommand(string command) => Of("SYSTEM", command);

    /// <summary>A TLS client connection (<c>OPENSSL:host:port</c>; the peer's certificate is checked unless <c>verify=0</c>).</summary>
    public static Address OpenSsl(string host, int port) => Of("OPENSSL", Host(host), Port(port));

    /// <summary>A TLS server (<c>OPENSSL-LISTEN:port</c>; give it <c>cert</c>).</summary>
    public static Address OpenSslListen(int port) => Of("OPENSSL-LISTEN", Port(port));

    /// <summary>A TCP connection through an HTTP CONNECT proxy (<c>PROXY:proxy:host:port,proxyport=…</c>).</summary>
    public static Address HttpProxy(string proxyHost, string host, int port, int proxyPort = 8080) =>
        Of("PROXY", Host(proxyHost), Host(host), Port(port)).With("proxyport", proxyPort);

    /// <summary>A TCP connection through a SOCKS5 server (<c>SOCKS5:server:host:port</c>).</summary>
    public static Address Socks5(string socksHost, int socksPort, string host, int port) =>
        Of("SOCKS5", Host(socksHost), Host(host), Port(port)).With("socksport", socksPort);

    /// <summary>Reads from <paramref name="read"/> and writes to <paramref name="write"/> (<c>read!!write</c>).</summary>
    /// <exception cref="ArgumentException">Either half is itself a dual address.</exception>
    public static Address Dual(Address read, Address write)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(write);
        if (read._write is not null || write._write is not null) throw new ArgumentException("a half of a dual address cannot be dual itself");
        return new(read._keyword, read._parameters, read._options, write);
    }

    /// <summary>Adds an option without a value (<c>fork</c>, <c>creat</c>, <c>reuseaddr</c>).</summary>
    /// <exception cref="SharpCatException">The option is unknown, does not apply to this address, or needs a value.</exception>
    public Address With(string option) => With(new AddressOption(option, null));

    /// <summary>Adds an option with a text value (<c>bind=127.0.0.1</c>, <c>cert=/etc/ssl/x.pem</c>).</summary>
    /// <exception cref="SharpCatException">The option is unknown, does not apply to this address, or the value does not fit it.</exception>
    public Address With(string option, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return With(new AddressOption(option, value));
    }

    /// <summary>Adds an option with a number (<c>max-children=10</c>, <c>backlog=128</c>).</summary>
    /// <inheritdoc cref="With(string, string)"/>
    public Address With(string option, long value) => With(option, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Adds an on/off option (<c>nodelay=1</c>, <c>verify=0</c>).</summary>
    /// <inheritdoc cref="With(string, string)"/>
    public Address With(string option, bool value) => With(option, value ? "1" : "0");

    /// <summary>Adds a time option in seconds (<c>connect-timeout=2.5</c>, <c>interval=0.1</c>).</summary>
    /// <inheritdoc cref="With(string, string)"/>
    public Address With(string option, TimeSpan value) => With(option, value.TotalSeconds.ToString("0.######", CultureInfo.InvariantCulture));

    /// <summary>Serves every connection (or connects again after each), concurrently (<c>fork</c>).</summary>
    public Address Fork() => With("fork");

    /// <summary>Lets a listener bind a port that still has connections in TIME_WAIT (<c>reuseaddr</c>).</summary>
    public Address ReuseAddress() => With("reuseaddr");

    /// <summary>The local address to bind (<c>bind=</c>): a host, <c>host:port</c>, or a path for UNIX addresses.</summary>
    public Address Bind(string local) => With("bind", local);

    /// <summary>How many connections a forking address serves at once (<c>max-children=</c>).</summary>
    public Address MaxChildren(int count) => With("max-children", count);

    private Address With(AddressOption option)
    {
        ArgumentException.ThrowIfNullOrEmpty(option.Name);
        return new(_keyword, _parameters, [.. _options, option], _write);
    }

    /// <summary>The address as a parsed specification, for <see cref="RelayHost"/>.</summary>
    public EndpointSpec ToEndpointSpec() =>
        _write is null ? new EndpointSpec(ToSingleSpec()) : new EndpointSpec(ToSingleSpec(), _write.ToSingleSpec());

    /// <summary>The address in socat's syntax: what a command line would say.</summary>
    public override string ToString() => _write is null ? Text() : $"{Text()}!!{_write.Text()}";

    private AddressSpec ToSingleSpec() => new(_keyword, _parameters, _options, Text());

    private string Text()
    {
        var sb = new StringBuilder(_keyword);
        foreach (string p in _parameters) Quoted(sb.Append(':'), p, bracketsAllowed: true);
        foreach (var o in _options)
        {
            Quoted(sb.Append(','), o.Name, bracketsAllowed: false);
            if (o.Value is not null) Quoted(sb.Append('='), o.Value, bracketsAllowed: false);
        }
        return sb.ToString();
    }

    // What the grammar reads as something other than text (AddressParser); a piece holding any of
    // them is written in double quotes with \ escapes.
    private const string Special = ":,!=\"'\\[]{}()";

    private static void Quoted(StringBuilder sb, string piece, bool bracketsAllowed)
    {
        // An IPv6 literal keeps socat's own form, [::1], which the grammar takes whole; quotes and
        // escapes inside brackets are still the grammar's, so a piece with them is quoted instead.
        if (bracketsAllowed && piece.Length > 2 && piece[0] == '[' && piece[^1] == ']' && piece.AsSpan(1, piece.Length - 2).IndexOfAny("[]\"'\\{}()") < 0)
        {
            sb.Append(piece);
            return;
        }
        bool plain = piece.Length > 0;
        foreach (char c in piece)
            if (Special.Contains(c) || char.IsControl(c) || c == ' ') { plain = false; break; }
        if (plain) { sb.Append(piece); return; }
        sb.Append('"');
        foreach (char c in piece)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\0': sb.Append("\\0"); break;
                // Other control characters have no escape in socat's grammar: inside quotes they are taken as they are.
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
    }

    private static string Host(string host)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        return host.Contains(':') && host[0] != '[' ? $"[{host}]" : host;
    }

    private static string Port(int port)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        return port.ToString(CultureInfo.InvariantCulture);
    }
}
