using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace SharpCat.Diagnostics;

/// <summary>
/// A log line as an RFC 5424 syslog message: <c>&lt;PRI&gt;1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG</c>,
/// with socat's level and the connection in structured data, and a connection's record as an
/// element of its own, so that rsyslog or a SIEM reads the fields without parsing the text.
/// The SD-IDs carry 32473, the enterprise number RFC 5612 sets aside for documentation and
/// examples: SharpCat has no number of its own.
/// </summary>
internal static class Rfc5424Format
{
    private const string Enterprise = "@32473";

    public static string Line(int facility, LogLevel level, DateTime now, string host, string app,
        long connection, string? message, RelayConnectionClosed? record)
    {
        var sb = new StringBuilder(160 + (message?.Length ?? 0));
        sb.Append('<').Append(facility * 8 + SyslogSeverity(level)).Append(">1 ")
          .Append(now.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture)).Append(' ')
          .Append(Header(host, 255)).Append(' ').Append(Header(app, 48)).Append(' ')
          .Append(Environment.ProcessId).Append(' ')
          .Append(record is null ? "-" : "connection").Append(' ');
        sb.Append("[sharpcat").Append(Enterprise);
        Param(sb, "level", Severities.Letter(level).ToString());
        if (connection > 0) Param(sb, "connection", connection.ToString(CultureInfo.InvariantCulture));
        sb.Append(']');
        if (record is not null) Record(sb, record);
        if (message is not null) sb.Append(' ').Append(message);
        return sb.ToString();
    }

    /// <summary>syslog(3)'s severity for each of socat's levels (N is LOG_NOTICE, as socat's own syslog lines).</summary>
    public static int SyslogSeverity(LogLevel level) => level switch
    {
        LogLevel.Critical => 2, LogLevel.Error => 3, LogLevel.Warning => 4,
        LogLevel.Information => 5, LogLevel.Debug => 6, _ => 7,
    };

    private static void Record(StringBuilder sb, RelayConnectionClosed record)
    {
        var c = record.Connection;
        sb.Append("[connection").Append(Enterprise);
        Param(sb, "id", c.Id.ToString(CultureInfo.InvariantCulture));
        Param(sb, "start", c.StartTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
        Param(sb, "duration_s", record.Duration.TotalSeconds.ToString("0.000000", CultureInfo.InvariantCulture));
        End(sb, "left", c.Left);
        End(sb, "right", c.Right);
        Direction(sb, "left_to_right", record.LeftToRight);
        Direction(sb, "right_to_left", record.RightToLeft);
        sb.Append(']');
    }

    private static void End(StringBuilder sb, string name, RelayEnd end)
    {
        Param(sb, name, end.Address);
        if (end.LocalEndPoint is not null) Param(sb, name + "_local", end.LocalEndPoint.ToString() ?? "");
        if (end.RemoteEndPoint is not null) Param(sb, name + "_peer", end.RemoteEndPoint.ToString() ?? "");
    }

    private static void Direction(StringBuilder sb, string name, DirectionSummary d)
    {
        Param(sb, name + "_bytes", d.Bytes.ToString(CultureInfo.InvariantCulture));
        Param(sb, name + "_writes", d.Writes.ToString(CultureInfo.InvariantCulture));
        Param(sb, name + "_end", ConnectionRecordFormat.Name(d.End));
        if (d.Error is not null) Param(sb, name + "_error", d.Error);
    }

    // PARAM-VALUE escapes '"', '\' and ']' with a backslash (RFC 5424 6.3.3).
    private static void Param(StringBuilder sb, string name, string value)
    {
        sb.Append(' ').Append(name).Append("=\"");
        foreach (char ch in value)
        {
            if (ch is '"' or '\\' or ']') sb.Append('\\');
            sb.Append(ch);
        }
        sb.Append('"');
    }

    // HOSTNAME and APP-NAME are printable US-ASCII without spaces, or "-" when empty.
    private static string Header(string value, int max)
    {
        var sb = new StringBuilder(Math.Min(value.Length, max));
        foreach (char ch in value)
        {
            if (sb.Length == max) break;
            sb.Append(ch is > ' ' and < (char)127 ? ch : '_');
        }
        return sb.Length == 0 ? "-" : sb.ToString();
    }
}
