using System.Diagnostics.Metrics;
using MCProxy.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MCProxy.Tests.Telemetry;

/// <summary>The MeterListener half of /metrics and the text it writes.</summary>
public sealed class MeterAggregatorTests
{
    [Fact]
    public void Scrape_CounterAndLabels_NamesFollowTheOpenTelemetryMapping_ValuesEscaped()
    {
        using var meter = new Meter("MCProxy");
        using var aggregator = new MeterAggregator(meter, NullLogger.Instance);
        var counter = meter.CreateCounter<long>("mcproxy.tool.calls", "{call}", "calls\nby tool");
        var bytes = meter.CreateCounter<long>("mcproxy.sent", "By", "sent");
        counter.Add(2, new("server", "a"), new("tool", "say \"hi\"\\now\n"));
        counter.Add(3, new("server", "a"), new("tool", "say \"hi\"\\now\n"));
        bytes.Add(10);

        var text = aggregator.Scrape();

        Assert.Contains("# HELP mcproxy_tool_calls_total calls\\nby tool\n# TYPE mcproxy_tool_calls_total counter\n", text);
        Assert.Contains("mcproxy_tool_calls_total{server=\"a\",tool=\"say \\\"hi\\\"\\\\now\\n\"} 5\n", text);
        Assert.Contains("mcproxy_sent_bytes_total 10\n", text);
    }

    [Fact]
    public void Scrape_Histogram_CumulativeBuckets_AnExactBoundInItsOwnBucket()
    {
        using var meter = new Meter("MCProxy");
        using var aggregator = new MeterAggregator(meter, NullLogger.Instance);
        var histogram = meter.CreateHistogram("mcproxy.call.duration", "s", "d",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
        foreach (var value in new[] { 0.05, 0.1, 0.5, 2 })
        {
            histogram.Record(value, new KeyValuePair<string, object?>("server", "a"));
        }

        var lines = aggregator.Scrape().Split('\n');

        Assert.Contains("# TYPE mcproxy_call_duration_seconds histogram", lines);
        Assert.Contains("mcproxy_call_duration_seconds_bucket{server=\"a\",le=\"0.1\"} 2", lines);
        Assert.Contains("mcproxy_call_duration_seconds_bucket{server=\"a\",le=\"1\"} 3", lines);
        Assert.Contains("mcproxy_call_duration_seconds_bucket{server=\"a\",le=\"+Inf\"} 4", lines);
        Assert.Contains("mcproxy_call_duration_seconds_sum{server=\"a\"} 2.65", lines);
        Assert.Contains("mcproxy_call_duration_seconds_count{server=\"a\"} 4", lines);
    }

    [Fact]
    public void Scrape_ObservableSeries_OnlyWhatTheLastObservationReported()
    {
        using var meter = new Meter("MCProxy");
        using var aggregator = new MeterAggregator(meter, NullLogger.Instance);
        var servers = new List<string> { "a", "b" };
        meter.CreateObservableGauge("mcproxy.server.up", () => servers.Select(s => new Measurement<int>(1, new KeyValuePair<string, object?>("server", s))));

        Assert.Contains("mcproxy_server_up{server=\"b\"} 1", aggregator.Scrape());
        servers.Remove("b");
        var text = aggregator.Scrape();
        Assert.Contains("mcproxy_server_up{server=\"a\"} 1", text);
        Assert.DoesNotContain("server=\"b\"", text);
    }

    [Fact]
    public void Record_NewLabelSetsBeyondTheBound_GoToOneOverflowSeries_LoggedOnce()
    {
        using var meter = new Meter("MCProxy");
        var logger = new CountingLogger();
        using var aggregator = new MeterAggregator(meter, logger);
        var counter = meter.CreateCounter<long>("mcproxy.tool.calls");
        for (var i = 0; i < MeterAggregator.MaxSeriesPerInstrument + 10; i++)
        {
            counter.Add(1, new KeyValuePair<string, object?>("tool", $"t{i}"));
        }
        counter.Add(1, new KeyValuePair<string, object?>("tool", "t0")); // a known label set still counts as itself

        var lines = aggregator.Scrape().Split('\n').Where(l => l.StartsWith("mcproxy_tool_calls_total", StringComparison.Ordinal)).ToArray();

        Assert.Equal(MeterAggregator.MaxSeriesPerInstrument + 1, lines.Length);
        Assert.Contains("mcproxy_tool_calls_total{otel_metric_overflow=\"true\"} 10", lines);
        Assert.Contains("mcproxy_tool_calls_total{tool=\"t0\"} 2", lines);
        Assert.Equal(1, logger.Warnings);
    }

    [Fact]
    public void Aggregator_ListensToItsOwnMeterInstanceOnly()
    {
        using var mine = new Meter("MCProxy");
        using var other = new Meter("MCProxy"); // another gateway in the same process
        using var aggregator = new MeterAggregator(mine, NullLogger.Instance);
        mine.CreateCounter<long>("mcproxy.calls").Add(1);
        other.CreateCounter<long>("mcproxy.calls").Add(100);

        Assert.Contains("mcproxy_calls_total 1\n", aggregator.Scrape());
    }

    [Theory]
    [InlineData(0.25, "0.25")]
    [InlineData(1e-5, "1E-05")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    public void Number_GoFloatSyntax(double value, string expected) => Assert.Equal(expected, PrometheusText.Number(value));

    private sealed class CountingLogger : ILogger
    {
        public int Warnings;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                Interlocked.Increment(ref Warnings);
            }
        }
    }
}
