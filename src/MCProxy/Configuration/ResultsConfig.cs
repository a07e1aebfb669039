using System.Text.Json;
using System.Text.RegularExpressions;

namespace MCProxy.Configuration;

/// <summary>A regex and what its matches become.</summary>
internal sealed record RedactionRule(Regex Pattern, string Replace)
{
    public bool Equals(RedactionRule? other) => other is not null && Pattern.ToString() == other.Pattern.ToString() && Replace == other.Replace;

    public override int GetHashCode() => HashCode.Combine(Pattern.ToString(), Replace);
}

/// <summary>
/// <c>"redact": "default"</c> or <c>{"default": true, "rules": [{"pattern": "…", "replace": "[REDACTED]"}]}</c>, at the
/// top level and per server: what is masked in results, error messages and the stderr lines /health shows.
/// </summary>
internal sealed record RedactionConfig(bool Default, IReadOnlyList<RedactionRule> Rules)
{
    public static readonly RedactionConfig Off = new(false, []);

    public bool IsOff => !Default && Rules.Count == 0;

    public bool Equals(RedactionConfig? other) => other is not null && Default == other.Default && Rules.SequenceEqual(other.Rules);

    public override int GetHashCode() => HashCode.Combine(Default, Rules.Count);

    /// <summary>Reads a "redact" member; null (after <paramref name="error"/>) when malformed.</summary>
    public static RedactionConfig? Parse(JsonElement value, Action<string, string> error)
    {
        const string Shape = "\"redact\" must be \"default\", false, or {\"default\": true, \"rules\": [{\"pattern\": \"regex\", \"replace\": \"[REDACTED]\"}]}";
        switch (value.ValueKind)
        {
            case JsonValueKind.Null or JsonValueKind.False:
                return Off;
            case JsonValueKind.True:
                return new RedactionConfig(true, []);
            case JsonValueKind.String when value.GetString() == "default":
                return new RedactionConfig(true, []);
            case JsonValueKind.Object:
                break;
            default:
                error("redact", Shape);
                return null;
        }
        var useDefault = false;
        if (value.TryGetProperty("default", out var d))
        {
            if (d.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                error("redact.default", "\"default\" must be true or false");
                return null;
            }
            useDefault = d.GetBoolean();
        }
        var rules = new List<RedactionRule>();
        if (value.TryGetProperty("rules", out var list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array)
            {
                error("redact.rules", Shape);
                return null;
            }
            var i = 0;
            foreach (var rule in list.EnumerateArray())
            {
                var field = $"redact.rules[{i++}]";
                var pattern = rule.ValueKind == JsonValueKind.Object && rule.TryGetProperty("pattern", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
                var replace = rule.ValueKind == JsonValueKind.Object && rule.TryGetProperty("replace", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : "[REDACTED]";
                if (string.IsNullOrEmpty(pattern) || replace is null)
                {
                    error(field, "a rule needs \"pattern\" (a regex) and may give \"replace\" (a string)");
                    continue;
                }
                try
                {
                    // A match timeout: a pathological pattern must not stall the relay.
                    rules.Add(new RedactionRule(new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100)), replace));
                }
                catch (ArgumentException ex)
                {
                    error($"{field}.pattern", $"not a valid regex: {ex.Message}");
                }
            }
        }
        return new RedactionConfig(useDefault, rules);
    }
}

/// <summary>Where and how long cut-off results are kept (<c>"spill"</c>).</summary>
internal sealed record SpillConfig(TimeSpan Ttl, long MaxMemoryBytes, long MaxDiskBytes, string? Directory)
{
    public static readonly SpillConfig Default = new(TimeSpan.FromHours(1), 64L * 1024 * 1024, 1024L * 1024 * 1024, null);

    public static SpillConfig? Parse(JsonElement value, Action<string, string> error)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            error("spill", "\"spill\" must be an object: {\"ttlSeconds\": 3600, \"maxMemoryBytes\": 67108864, \"maxDiskBytes\": 1073741824, \"dir\": \"/var/tmp/mcproxy\"}");
            return null;
        }
        double Number(string member, double fallback, double min)
        {
            if (!value.TryGetProperty(member, out var n) || n.ValueKind == JsonValueKind.Null)
            {
                return fallback;
            }
            if (n.ValueKind != JsonValueKind.Number || !n.TryGetDouble(out var v) || v < min)
            {
                error($"spill.{member}", $"\"{member}\" must be a number ≥ {min}");
                return fallback;
            }
            return v;
        }
        var dir = value.TryGetProperty("dir", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
        return new SpillConfig(TimeSpan.FromSeconds(Number("ttlSeconds", Default.Ttl.TotalSeconds, 1)),
            (long)Number("maxMemoryBytes", Default.MaxMemoryBytes, 0), (long)Number("maxDiskBytes", Default.MaxDiskBytes, 0), dir);
    }
}

/// <summary>The top-level result settings: the output cap, redaction and spill.</summary>
internal sealed record ResultsConfig(int? MaxOutputBytes, RedactionConfig Redact, SpillConfig Spill)
{
    public static readonly ResultsConfig Default = new(null, RedactionConfig.Off, SpillConfig.Default);

    /// <summary>The smallest cap that still leaves room for the note and the link (512 bytes) and some content.</summary>
    public const int MinimumCap = 1024;
}
