using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace SharpCat.Diagnostics;

/// <summary>
/// A connection's record (<see cref="RelayConnectionClosed"/>) as one line: socat-style words for
/// its log, or a JSON object for tools (jq, a SIEM). Written with Utf8JsonWriter: no reflection.
/// </summary>
internal static class ConnectionRecordFormat
{
    public static string Text(RelayConnectionClosed record)
    {
        var c = record.Connection;
        var sb = new StringBuilder(256);
        sb.Append("connection ").Append(c.Id).Append(" record: ");
        End(sb, c.Left).Append(" <-> ");
        End(sb, c.Right).Append("; started ").Append(Time(c.StartTime))
            .Append(", lasted ").Append(record.Duration.TotalSeconds.ToString("0.000000", CultureInfo.InvariantCulture)).Append(" s; ");
        Direction(sb, "left to right", record.LeftToRight).Append("; ");
        Direction(sb, "right to left", record.RightToLeft);
        return sb.ToString();
    }

    public static void WriteJson(Utf8JsonWriter json, RelayConnectionClosed record)
    {
        var c = record.Connection;
        json.WriteString("type", "connection");
        json.WriteNumber("id", c.Id);
        json.WriteString("start", Time(c.StartTime));
        json.WriteNumber("duration_s", Math.Round(record.Duration.TotalSeconds, 6));
        End(json, "left", c.Left);
        End(json, "right", c.Right);
        Direction(json, "left_to_right", record.LeftToRight);
        Direction(json, "right_to_left", record.RightToLeft);
    }

    /// <summary>The words and JSON names of each way a direction ends.</summary>
    public static string Name(DirectionEnd end) => end switch
    {
        DirectionEnd.NotRelayed => "not_relayed",
        DirectionEnd.EndOfFile => "eof",
        DirectionEnd.Reset => "reset",
        DirectionEnd.ClosingTimeout => "closing_timeout",
        DirectionEnd.InactivityTimeout => "inactivity_timeout",
        DirectionEnd.Stopped => "stopped",
        _ => "error",
    };

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static StringBuilder End(StringBuilder sb, RelayEnd end)
    {
        sb.Append(end.Address).Append(" (").Append(end.Description);
        if (end.LocalEndPoint is not null) sb.Append(", local ").Append(Show(end.LocalEndPoint));
        if (end.RemoteEndPoint is not null) sb.Append(", peer ").Append(Show(end.RemoteEndPoint));
        return sb.Append(')');
    }

    private static StringBuilder Direction(StringBuilder sb, string name, DirectionSummary d)
    {
        sb.Append(name).Append(' ').Append(d.Bytes).Append(" bytes in ").Append(d.Writes).Append(" writes, ").Append(Name(d.End).Replace('_', ' '));
        if (d.Error is not null) sb.Append(": ").Append(d.Error);
        return sb;
    }

    private static void End(Utf8JsonWriter json, string name, RelayEnd end)
    {
        json.WriteStartObject(name);
        json.WriteString("address", end.Address);
        json.WriteString("description", end.Description);
        if (end.LocalEndPoint is not null) json.WriteString("local", Show(end.LocalEndPoint));
        if (end.RemoteEndPoint is not null) json.WriteString("peer", Show(end.RemoteEndPoint));
        json.WriteEndObject();
    }

    private static void Direction(Utf8JsonWriter json, string name, DirectionSummary d)
    {
        json.WriteStartObject(name);
        json.WriteNumber("bytes", d.Bytes);
        json.WriteNumber("writes", d.Writes);
        json.WriteString("end", Name(d.End));
        if (d.Error is not null) json.WriteString("error", d.Error);
        json.WriteEndObject();
    }

    // IP endpoints as host:port ([v6]:port), UNIX ones as their path.
    private static string Show(EndPoint endPoint) => endPoint switch
    {
        IPEndPoint ip => ip.ToString(),
        _ => endPoint.ToString() ?? "",
    };
}
