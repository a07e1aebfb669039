using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace MCProxy.Telemetry;

/// <summary>
/// One instrument's series under its Prometheus name, keyed by the rendered label set (<c>server="a",tool="b"</c>),
/// which is also what the writer prints. Counters add, observable instruments keep the last value, histograms bucket.
/// NOTE 1: a measurement finds its series by its tags as given (up to four string tags, no allocation) and renders
/// the label text only for a label set it has not seen: the per-call cost is a dictionary lookup.
/// Names follow OpenTelemetry's Prometheus mapping (dots become underscores, unit <c>s</c> adds <c>_seconds</c>,
/// <c>By</c> adds <c>_bytes</c>, counters add <c>_total</c>), so an OpenTelemetry exporter would give the same names.
/// </summary>
internal sealed class InstrumentSeries
{
    private const string OverflowKey = "otel_metric_overflow=\"true\"";

    // Used when an instrument gives no bucket advice: OpenTelemetry's default boundaries.
    private static readonly double[] DefaultBounds = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private readonly ConcurrentDictionary<string, Cell> _series = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<TagKey, Cell> _byTags = new();
    private readonly int _maxSeries;
    private readonly Action<string> _overflowed;
    private readonly bool _adds;
    private int _overflowReported;

    public InstrumentSeries(Instrument instrument, int maxSeries, Action<string> overflowed)
    {
        _maxSeries = maxSeries;
        _overflowed = overflowed;
        var type = instrument.GetType().IsGenericType ? instrument.GetType().GetGenericTypeDefinition() : instrument.GetType();
        IsObservable = instrument.IsObservable;
        Kind = type == typeof(Counter<>) || type == typeof(ObservableCounter<>) ? SeriesKind.Counter
            : type == typeof(Histogram<>) ? SeriesKind.Histogram
            : SeriesKind.Gauge;
        // Synchronous counters add up; observable instruments report their current value, and so does Gauge<T>.
        _adds = type == typeof(Counter<>) || type == typeof(UpDownCounter<>);
        Bounds = instrument is Histogram<double> { Advice.HistogramBucketBoundaries: { } advised } ? [.. advised] : DefaultBounds;
        Help = instrument.Description ?? "";
        var name = instrument.Name.Replace('.', '_') + instrument.Unit switch
        {
            "s" => "_seconds",
            "By" => "_bytes",
            _ => "",
        };
        Name = Kind == SeriesKind.Counter ? name + "_total" : name;
    }

    public string Name { get; }

    public string Help { get; }

    public SeriesKind Kind { get; }

    public bool IsObservable { get; }

    public double[] Bounds { get; }

    /// <summary>A copy of the series, sorted by label set so each scrape lists them in the same order.</summary>
    public KeyValuePair<string, Cell>[] Snapshot() => [.. _series.OrderBy(s => s.Key, StringComparer.Ordinal)];

    public void Clear()
    {
        _byTags.Clear();
        _series.Clear();
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var tagKey = TagKey.Of(tags);
        if (tagKey is not { } known || !_byTags.TryGetValue(known, out var cell))
        {
            cell = Find(tags, tagKey);
        }
        if (Kind == SeriesKind.Histogram)
        {
            cell.Observe(value, Bounds);
        }
        else if (_adds)
        {
            cell.Add(value);
        }
        else
        {
            cell.Set(value);
        }
    }

    /// <summary>The series of a label set not seen by its tags yet: rendered, bounded (the overflow series beyond).</summary>
    private Cell Find(ReadOnlySpan<KeyValuePair<string, object?>> tags, TagKey? tagKey)
    {
        var key = Labels(tags);
        if (_series.TryGetValue(key, out var cell))
        {
            return tagKey is { } k ? _byTags.GetOrAdd(k, cell) : cell;
        }
        if (_series.Count >= _maxSeries)
        {
            if (Interlocked.Exchange(ref _overflowReported, 1) == 0)
            {
                _overflowed(Name);
            }
            // Not remembered by its tags: the overflow path renders each time rather than grow without a bound.
            return _series.GetOrAdd(OverflowKey, _ => NewCell());
        }
        cell = _series.GetOrAdd(key, _ => NewCell());
        return tagKey is { } added ? _byTags.GetOrAdd(added, cell) : cell;
    }

    private Cell NewCell() => new(Kind == SeriesKind.Histogram ? Bounds.Length + 1 : 0);

    /// <summary>Up to four string tags, names and values, as given; null for anything else (then the rendered text is the key).</summary>
    private readonly record struct TagKey(int Count, string? N0, string? V0, string? N1, string? V1, string? N2, string? V2, string? N3, string? V3)
    {
        public static TagKey? Of(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length > 4)
            {
                return null;
            }
            string? v0 = null, v1 = null, v2 = null, v3 = null;
            for (var i = 0; i < tags.Length; i++)
            {
                if (tags[i].Value is not string value)
                {
                    return null;
                }
                switch (i)
                {
                    case 0: v0 = value; break;
                    case 1: v1 = value; break;
                    case 2: v2 = value; break;
                    default: v3 = value; break;
                }
            }
            return new TagKey(tags.Length, tags.Length > 0 ? tags[0].Key : null, v0, tags.Length > 1 ? tags[1].Key : null, v1,
                tags.Length > 2 ? tags[2].Key : null, v2, tags.Length > 3 ? tags[3].Key : null, v3);
        }
    }

    /// <summary><c>name="value",…</c> in the order given, values escaped as the text format requires.</summary>
    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return "";
        }
        var text = new StringBuilder(64);
        foreach (var (name, value) in tags)
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }
            text.Append(name).Append("=\"");
            foreach (var c in Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")
            {
                _ = c switch
                {
                    '\\' => text.Append(@"\\"),
                    '"' => text.Append("\\\""),
                    '\n' => text.Append(@"\n"),
                    _ => text.Append(c),
                };
            }
            text.Append('"');
        }
        return text.ToString();
    }

    internal enum SeriesKind { Counter, Gauge, Histogram }

    /// <summary>One series' value, or a histogram's bucket counts (not cumulative) and sum.</summary>
    internal sealed class Cell(int buckets)
    {
        private readonly long[] _buckets = new long[buckets];
        private double _value;

        public double Value => Volatile.Read(ref _value);

        public long Bucket(int index) => Interlocked.Read(ref _buckets[index]);

        public void Set(double value) => Volatile.Write(ref _value, value);

        public void Add(double value)
        {
            double seen, next;
            do
            {
                seen = Volatile.Read(ref _value);
                next = seen + value;
            } while (Interlocked.CompareExchange(ref _value, next, seen) != seen);
        }

        public void Observe(double value, double[] bounds)
        {
            var index = Array.BinarySearch(bounds, value);
            // Prometheus buckets are "less than or equal": an exact bound belongs to its own bucket.
            Interlocked.Increment(ref _buckets[index >= 0 ? index : ~index]);
            Add(value);
        }
    }
}
