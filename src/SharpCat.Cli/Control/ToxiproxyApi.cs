using System.Buffers;
using System.Text;
using System.Text.Json;
using SharpCat.Diagnostics;

using SharpCat.Cli.Http;

namespace SharpCat.Cli.Control;

/// <summary>
/// Toxiproxy's HTTP API (proxies, toxics, populate, reset, version) over SharpCat relays, with
/// toxiproxy's routes, status codes and JSON shapes, so that its clients work unchanged. Requests
/// are handled one at a time, as toxiproxy's collection lock does; errors are
/// <c>{"error": "…", "status": N}</c>, and a request that fails changes nothing.
/// </summary>
internal sealed class ToxiproxyApi(Microsoft.Extensions.Logging.ILoggerFactory logging, ulong? seed)
{
    /// <summary>The toxiproxy version whose API this serves.</summary>
    public const string ApiVersion = "2.12.0";

    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly Dictionary<string, ControlledProxy> _proxies = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    private sealed class ApiError(int status, string message) : Exception(message)
    {
        public int Status => status;
    }

    private static ApiError BadBody(string why) => new(400, $"bad request body: {why}");
    private static ApiError ProxyNotFound => new(404, "proxy not found");
    private static ApiError ToxicNotFound => new(404, "toxic not found");

    public async Task<HttpResponse> HandleAsync(HttpRequest request)
    {
        // As toxiproxy: a browser must not drive the API (a web page could otherwise reach it).
        if (request.Headers.TryGetValue("user-agent", out var agent) && agent.StartsWith("Mozilla/", StringComparison.Ordinal))
            return HttpResponse.Text(403, "User agent not allowed\n");
        await _one.WaitAsync().ConfigureAwait(false);
        try
        {
            return await RouteAsync(request).ConfigureAwait(false);
        }
        catch (ApiError e)
        {
            return Error(e.Status, e.Message);
        }
        catch (SharpCatException e)
        {
            // Opening the relay failed: toxiproxy answers a listen error with 500 too.
            return Error(500, e.Message);
        }
        finally
        {
            _one.Release();
        }
    }

    private async Task<HttpResponse> RouteAsync(HttpRequest r)
    {
        string[] parts = r.Path.Trim('/').Split('/');
        string m = r.Method;
        bool update = m is "POST" or "PATCH";
        switch (parts)
        {
            case ["version"] when m == "GET":
                return new HttpResponse(200, "application/json;charset=utf-8", Encoding.UTF8.GetBytes($"{{\"version\": \"{ApiVersion}\"}}\n"));
            case ["reset"] when m == "POST":
                foreach (var p in Ordered())
                {
                    await p.StartAsync().ConfigureAwait(false);
                    p.Toxics.Clear();
                    p.Faults.Clear();
                }
                return HttpResponse.Empty(204);
            case ["proxies"] when m == "GET":
                return Json(200, w =>
                {
                    w.WriteStartObject();
                    foreach (var p in Ordered())
                    {
                        w.WritePropertyName(p.Name);
                        WriteProxy(w, p);
                    }
                    w.WriteEndObject();
                });
            case ["proxies"] when m == "POST":
                {
                    using var body = Parse(r.Body, JsonValueKind.Object);
                    var p = await CreateAsync(body.RootElement, replace: false).ConfigureAwait(false);
                    return Json(201, w => WriteProxy(w, p));
                }
            case ["populate"] when m == "POST":
                return await PopulateAsync(r.Body).ConfigureAwait(false);
            case ["proxies", var name] when m == "GET":
                return Json(200, w => WriteProxy(w, Get(name)));
            case ["proxies", var name] when update:
                {
                    var p = Get(name);
                    using var doc = Parse(r.Body, JsonValueKind.Object);
                    var body = doc.RootElement;
                    await p.UpdateAsync(String(body, "listen") ?? p.Listen, String(body, "upstream") ?? p.Upstream,
                        Bool(body, "enabled") ?? p.Enabled).ConfigureAwait(false);
                    return Json(200, w => WriteProxy(w, p));
                }
            case ["proxies", var name] when m == "DELETE":
                {
                    var p = Get(name);
                    await p.StopAsync().ConfigureAwait(false);
                    _proxies.Remove(name);
                    _order.Remove(name);
                    return HttpResponse.Empty(204);
                }
            case ["proxies", var name, "toxics"] when m == "GET":
                return Json(200, w =>
                {
                    w.WriteStartArray();
                    foreach (var t in Get(name).Toxics) WriteToxic(w, t);
                    w.WriteEndArray();
                });
            case ["proxies", var name, "toxics"] when m == "POST":
                {
                    var p = Get(name);
                    using var doc = Parse(r.Body, JsonValueKind.Object);
                    var t = NewToxic(doc.RootElement);
                    if (p.Toxics.Any(x => x.Name == t.Name)) throw new ApiError(409, "toxic already exists");
                    SetFault(p, t);
                    p.Toxics.Add(t);
                    return Json(200, w => WriteToxic(w, t));
                }
            case ["proxies", var name, "toxics", var toxic] when m == "GET":
                return Json(200, w => WriteToxic(w, FindToxic(Get(name), toxic)));
            case ["proxies", var name, "toxics", var toxic] when update:
                {
                    var p = Get(name);
                    var old = FindToxic(p, toxic);
                    using var doc = Parse(r.Body, JsonValueKind.Object);
                    var body = doc.RootElement;
                    var t = old with
                    {
                        Toxicity = Toxicity(body, old.Toxicity),
                        Attributes = Attributes(old.Type, body, old.Attributes),
                    };
                    SetFault(p, t);
                    p.Toxics[p.Toxics.IndexOf(old)] = t;
                    return Json(200, w => WriteToxic(w, t));
                }
            case ["proxies", var name, "toxics", var toxic] when m == "DELETE":
                {
                    var p = Get(name);
                    var t = FindToxic(p, toxic);
                    p.Toxics.Remove(t);
                    p.Faults.Remove(t.Name);
                    return HttpResponse.Empty(204);
                }
            case ["version"] or ["reset"] or ["proxies"] or ["populate"] or ["proxies", _] or ["proxies", _, "toxics"] or ["proxies", _, "toxics", _]:
                return HttpResponse.Empty(405);
            default:
                return HttpResponse.Text(404, "404 page not found\n");
        }
    }

    private IEnumerable<ControlledProxy> Ordered() => [.. _order.Select(n => _proxies[n])];

    private ControlledProxy Get(string name) => _proxies.GetValueOrDefault(name) ?? throw ProxyNotFound;

    private static Toxic FindToxic(ControlledProxy p, string name) => p.Toxics.Find(t => t.Name == name) ?? throw ToxicNotFound;

    private static void SetFault(ControlledProxy p, Toxic t)
    {
        try
        {
            p.Faults.Set(t.Name, t.ToFault());
        }
        catch (ArgumentException e)
        {
            throw BadBody(e.Message);
        }
    }

    /// <summary>A proxy from its JSON; with <paramref name="replace"/> (populate) an existing one of that name is replaced when it differs.</summary>
    private async Task<ControlledProxy> CreateAsync(JsonElement body, bool replace, int index = 0)
    {
        string at = index > 0 ? $" at proxy {index}" : "";
        string name = String(body, "name") ?? "";
        string upstream = String(body, "upstream") ?? "";
        string listen = String(body, "listen") ?? "";
        bool enabled = Bool(body, "enabled") ?? true;
        if (name.Length == 0) throw new ApiError(400, $"missing required field: name{at}");
        if (upstream.Length == 0) throw new ApiError(400, $"missing required field: upstream{at}");
        if (_proxies.TryGetValue(name, out var existing))
        {
            if (!replace) throw new ApiError(409, "proxy already exists");
            if (existing.Listen == listen && existing.Upstream == upstream) return existing;
            await existing.StopAsync().ConfigureAwait(false);
            _proxies.Remove(name);
            _order.Remove(name);
        }
        var proxy = new ControlledProxy(name, listen, upstream, new RelayFaults(seed), logging);
        if (enabled) await proxy.StartAsync().ConfigureAwait(false);
        _proxies[name] = proxy;
        _order.Add(name);
        Log.Notice($"control API: proxy \"{name}\" {(enabled ? "listening on" : "made for")} {proxy.Listen}, upstream {upstream}");
        return proxy;
    }

    private async Task<HttpResponse> PopulateAsync(byte[] raw)
    {
        using var doc = Parse(raw, JsonValueKind.Array);
        var items = doc.RootElement.EnumerateArray().ToArray();
        // Every entry is checked before any proxy is made, as toxiproxy does.
        for (int i = 0; i < items.Length; i++)
        {
            if (items[i].ValueKind != JsonValueKind.Object) throw BadBody($"proxy {i + 1} is not an object");
            if ((String(items[i], "name") ?? "").Length == 0) throw new ApiError(400, $"missing required field: name at proxy {i + 1}");
            if ((String(items[i], "upstream") ?? "").Length == 0) throw new ApiError(400, $"missing required field: upstream at proxy {i + 1}");
        }
        var made = new List<ControlledProxy>();
        ApiError? failure = null;
        foreach (var item in items)
        {
            try
            {
                made.Add(await CreateAsync(item, replace: true).ConfigureAwait(false));
            }
            catch (SharpCatException e)
            {
                failure = new ApiError(500, e.Message);
                break;
            }
        }
        return Json(failure?.Status ?? 201, w =>
        {
            w.WriteStartObject();
            if (failure is not null)
            {
                w.WriteString("error", failure.Message);
                w.WriteNumber("status", failure.Status);
            }
            w.WriteStartArray("proxies");
            foreach (var p in made) WriteProxy(w, p);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>Makes the proxies of a toxiproxy config file (<c>--config</c>): the populate request's JSON.</summary>
    public async Task PopulateFromFileAsync(string path)
    {
        byte[] raw;
        try
        {
            raw = await File.ReadAllBytesAsync(path).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SharpCatException($"--config={path}: {e.Message}");
        }
        HttpResponse answer = await HandleAsync(new HttpRequest("POST", "/populate", new(StringComparer.OrdinalIgnoreCase), raw)).ConfigureAwait(false);
        if (answer.Status != 201)
        {
            using var doc = JsonDocument.Parse(answer.Body);
            throw new SharpCatException($"--config={path}: {doc.RootElement.GetProperty("error").GetString()}");
        }
    }

    private static Toxic NewToxic(JsonElement body)
    {
        string typeName = String(body, "type") ?? "";
        string stream = String(body, "stream") ?? "downstream";
        if (stream.Length == 0) stream = "downstream";
        stream = stream.ToLowerInvariant();
        if (stream is not ("upstream" or "downstream")) throw new ApiError(400, "stream was invalid, can be either upstream or downstream");
        var type = ToxicTypes.Find(typeName) ?? throw new ApiError(400, "invalid toxic type");
        string name = String(body, "name") is { Length: > 0 } n ? n : $"{typeName}_{stream}";
        var defaults = type.Attributes.ToDictionary(a => a, _ => 0.0);
        return new Toxic(name, type, stream, Toxicity(body, 1.0), Attributes(type, body, defaults));
    }

    private static double Toxicity(JsonElement body, double fallback)
    {
        if (!body.TryGetProperty("toxicity", out var t) || t.ValueKind == JsonValueKind.Null) return fallback;
        if (t.ValueKind != JsonValueKind.Number) throw BadBody("toxicity is not a number");
        double v = t.GetDouble();
        return v is >= 0 and <= 1 ? v : throw BadBody($"toxicity {v} is not a probability (0 to 1)");
    }

    /// <summary>The attributes given, over <paramref name="current"/>: unknown names are ignored, as Go's decoder does.</summary>
    private static Dictionary<string, double> Attributes(ToxicTypes.Type type, JsonElement body, Dictionary<string, double> current)
    {
        var result = new Dictionary<string, double>(current);
        if (!body.TryGetProperty("attributes", out var attributes) || attributes.ValueKind == JsonValueKind.Null) return result;
        if (attributes.ValueKind != JsonValueKind.Object) throw BadBody("attributes is not an object");
        foreach (var a in attributes.EnumerateObject())
        {
            if (Array.IndexOf(type.Attributes, a.Name) < 0) continue;
            if (a.Value.ValueKind != JsonValueKind.Number) throw BadBody($"attribute {a.Name} of a {type.Name} toxic is not a number");
            double v = a.Value.GetDouble();
            if (!type.Fractions && v != Math.Floor(v)) throw BadBody($"attribute {a.Name} of a {type.Name} toxic is a whole number ({a.Value.GetRawText()} given)");
            if (v < 0) throw BadBody($"attribute {a.Name} of a {type.Name} toxic is negative ({a.Value.GetRawText()})");
            result[a.Name] = v;
        }
        return result;
    }

    private static JsonDocument Parse(byte[] raw, JsonValueKind kind)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(raw);
        }
        catch (JsonException e)
        {
            throw BadBody(raw.Length == 0 ? "EOF" : e.Message);
        }
        if (doc.RootElement.ValueKind != kind)
        {
            doc.Dispose();
            throw BadBody($"expected a JSON {(kind == JsonValueKind.Array ? "array" : "object")}");
        }
        return doc;
    }

    private static string? String(JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw BadBody($"{name} is not a string");
    }

    private static bool? Bool(JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw BadBody($"{name} is not true or false");
    }

    private static void WriteProxy(Utf8JsonWriter w, ControlledProxy p)
    {
        w.WriteStartObject();
        w.WriteString("name", p.Name);
        w.WriteString("listen", p.Listen);
        w.WriteString("upstream", p.Upstream);
        w.WriteBoolean("enabled", p.Enabled);
        w.WriteStartArray("toxics");
        foreach (var t in p.Toxics) WriteToxic(w, t);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteToxic(Utf8JsonWriter w, Toxic t)
    {
        w.WriteStartObject();
        w.WriteStartObject("attributes");
        foreach (string a in t.Type.Attributes)
        {
            double v = t.Attributes[a];
            if (t.Type.Fractions) w.WriteNumber(a, v);
            else w.WriteNumber(a, (long)v);
        }
        w.WriteEndObject();
        w.WriteString("name", t.Name);
        w.WriteString("type", t.Type.Name);
        w.WriteString("stream", t.Stream);
        w.WriteNumber("toxicity", t.Toxicity);
        w.WriteEndObject();
    }

    private static HttpResponse Json(int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        return new HttpResponse(status, "application/json", buffer.WrittenSpan.ToArray());
    }

    private static HttpResponse Error(int status, string message) => Json(status, w =>
    {
        w.WriteStartObject();
        w.WriteString("error", message);
        w.WriteNumber("status", status);
        w.WriteEndObject();
    });

    /// <summary>Stops every proxy (the control mode's end).</summary>
    public async Task StopAllAsync()
    {
        foreach (var p in Ordered()) await p.StopAsync().ConfigureAwait(false);
    }
}
