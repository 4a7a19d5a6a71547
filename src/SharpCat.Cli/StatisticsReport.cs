using System.Globalization;
using Microsoft.Extensions.Logging;
using SharpCat.Diagnostics;

namespace SharpCat.Cli;

/// <summary>
/// socat 1.8's <c>--statistics</c>: at exit and on SIGUSR1, a warning that they are experimental,
/// then per direction the writes ("packets") and bytes, numbers padded to one width, printed
/// whatever the -d level. With fork they are the totals over every connection (socat's children
/// each print their own).
/// </summary>
internal static class StatisticsReport
{
    public static void Write(SocatLoggerProvider logging, RelayStatistics s, RelayDirection direction)
    {
        int writesWidth = 1, bytesWidth = 1;
        if (direction == RelayDirection.Both)
        {
            writesWidth = Digits(Math.Max(s.WritesLeftToRight, s.WritesRightToLeft));
            bytesWidth = Digits(Math.Max(s.BytesLeftToRight, s.BytesRightToLeft));
        }
        logging.WriteAlways(LogLevel.Warning, "statistics are experimental");
        if (direction != RelayDirection.RightToLeft)
            logging.WriteAlways(LogLevel.Debug, Line("left to right", s.WritesLeftToRight, s.BytesLeftToRight, writesWidth, bytesWidth));
        if (direction != RelayDirection.LeftToRight)
            logging.WriteAlways(LogLevel.Debug, Line("right to left", s.WritesRightToLeft, s.BytesRightToLeft, writesWidth, bytesWidth));
    }

    private static string Line(string way, long writes, long bytes, int writesWidth, int bytesWidth) =>
        string.Create(CultureInfo.InvariantCulture, $"STATISTICS: {way}: {writes.ToString().PadLeft(writesWidth)} packets(s), {bytes.ToString().PadLeft(bytesWidth)} byte(s)");

    private static int Digits(long n) => n < 10 ? 1 : 1 + Digits(n / 10);
}
