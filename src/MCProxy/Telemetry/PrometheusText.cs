using System.Globalization;
using System.Text;

namespace MCProxy.Telemetry;

/// <summary>
/// The Prometheus text exposition format, version 0.0.4: <c># HELP</c>, <c># TYPE</c>, one line per series;
/// histograms as cumulative <c>_bucket</c> lines with <c>le</c>, then <c>_sum</c> and <c>_count</c>.
/// Stands in for OpenTelemetry.Exporter.Prometheus.AspNetCore (see README, Metrics and traces, for why).
/// </summary>
internal static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static void Write(StringBuilder text, InstrumentSeries series)
    {
        text.Append("# HELP ").Append(series.Name).Append(' ');
        foreach (var c in series.Help)
        {
            _ = c switch
            {
                '\\' => text.Append(@"\\"),
                '\n' => text.Append(@"\n"),
                _ => text.Append(c),
            };
        }
        text.Append('\n');
        text.Append("# TYPE ").Append(series.Name).Append(' ').Append(series.Kind switch
        {
            InstrumentSeries.SeriesKind.Counter => "counter",
            InstrumentSeries.SeriesKind.Histogram => "histogram",
            _ => "gauge",
        }).Append('\n');
        foreach (var (labels, cell) in series.Snapshot())
        {
            if (series.Kind != InstrumentSeries.SeriesKind.Histogram)
            {
                Line(text, series.Name, labels, null, Number(cell.Value));
                continue;
            }
            // Read the buckets first: a call recorded meanwhile may make _count larger than the last bucket, never smaller.
            long cumulative = 0;
            for (var i = 0; i < series.Bounds.Length; i++)
            {
                cumulative += cell.Bucket(i);
                Line(text, series.Name + "_bucket", labels, "le=\"" + Number(series.Bounds[i]) + "\"", cumulative.ToString(CultureInfo.InvariantCulture));
            }
            cumulative += cell.Bucket(series.Bounds.Length);
            Line(text, series.Name + "_bucket", labels, "le=\"+Inf\"", cumulative.ToString(CultureInfo.InvariantCulture));
            Line(text, series.Name + "_sum", labels, null, Number(cell.Value));
            Line(text, series.Name + "_count", labels, null, cumulative.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void Line(StringBuilder text, string name, string labels, string? extra, string value)
    {
        text.Append(name);
        if (labels.Length > 0 || extra is not null)
        {
            text.Append('{').Append(labels);
            if (extra is not null)
            {
                text.Append(labels.Length > 0 ? "," : "").Append(extra);
            }
            text.Append('}');
        }
        text.Append(' ').Append(value).Append('\n');
    }

    /// <summary>Go's float syntax: shortest round-trip digits, <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>.</summary>
    public static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);
}
