using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace MCProxy.Telemetry;

/// <summary>
/// The MeterListener half of <c>/metrics</c>: listens to one <see cref="Meter"/> instance (not every meter of that
/// name, so gateways sharing a process never count each other's calls), sums counters, buckets histograms, and
/// reads the observable instruments at each scrape.
/// NOTE 1: every instrument holds at most <see cref="MaxSeriesPerInstrument"/> label sets; a measurement with a new
/// label set beyond that goes to one overflow series labelled <c>otel_metric_overflow="true"</c> (OpenTelemetry's
/// convention) and the first overflow of each instrument is logged once.
/// NOTE 2: observable series are cleared before each observation, so a server that is gone has no series any more;
/// one lock orders scrapes, so a scrape never sees another's half-observed instruments.
/// </summary>
internal sealed partial class MeterAggregator : IDisposable
{
    public const int MaxSeriesPerInstrument = 2000;

    private readonly MeterListener _listener = new();
    private readonly List<InstrumentSeries> _instruments = [];
    private readonly Lock _scrapeLock = new();
    private readonly ILogger _logger;

    public MeterAggregator(Meter meter, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _logger = logger;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!ReferenceEquals(instrument.Meter, meter))
            {
                return;
            }
            var series = new InstrumentSeries(instrument, MaxSeriesPerInstrument, OnOverflow);
            lock (_instruments)
            {
                _instruments.Add(series);
            }
            listener.EnableMeasurementEvents(instrument, series);
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Observes the observable instruments, then writes every instrument in the text format (NOTE 2).</summary>
    public string Scrape()
    {
        lock (_scrapeLock)
        {
            InstrumentSeries[] all;
            lock (_instruments)
            {
                all = [.. _instruments];
            }
            foreach (var series in all.Where(s => s.IsObservable))
            {
                series.Clear();
            }
            _listener.RecordObservableInstruments();
            var text = new System.Text.StringBuilder(4096);
            foreach (var series in all)
            {
                PrometheusText.Write(text, series);
            }
            return text.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();

    private void OnOverflow(string name) => LogOverflow(_logger, name, MaxSeriesPerInstrument);

    [LoggerMessage(EventId = 900, Level = LogLevel.Warning, Message = "metric {Metric} reached {Max} label sets; further new ones are counted in its otel_metric_overflow series")]
    private static partial void LogOverflow(ILogger logger, string metric, int max);
}
