using System.Net;
using SharpCat.Cli.Http;

namespace SharpCat.Cli.Metrics;

/// <summary>
/// The <c>--metrics</c> HTTP endpoint: <c>GET /metrics</c> (or HEAD) answers with the collector's
/// text, any other path 404, any other method 405.
/// </summary>
internal static class PrometheusEndpoint
{
    /// <summary>Resolves a host name, binds and starts serving.</summary>
    /// <exception cref="SharpCatException">The host does not resolve, or the address cannot be bound (in use, …).</exception>
    public static HttpServer Start(EndPoint at, MeterCollector collector) =>
        HttpServer.Start(at, request => Task.FromResult(Answer(request, collector)), "--metrics");

    private static HttpResponse Answer(HttpRequest request, MeterCollector collector)
    {
        if (request.Method is not ("GET" or "HEAD")) return HttpResponse.Text(405, "GET only\n");
        if (request.Path != "/metrics") return HttpResponse.Text(404, "not found: the metrics are at /metrics\n");
        return new HttpResponse(200, "text/plain; version=0.0.4; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(collector.Render()));
    }
}
