using System.Text.Json;

namespace MCProxy.Configuration;

/// <summary>How much of the tool catalogue a client's tools/list shows.</summary>
internal enum DisclosureMode
{
    /// <summary>Every tool the identity may see.</summary>
    Full,

    /// <summary>Only the search, describe and call meta tools, plus the pinned tools.</summary>
    Discover,

    /// <summary><see cref="Discover"/> once the identity's list is over <see cref="DisclosureConfig.MaxTools"/> or <see cref="DisclosureConfig.MaxTokens"/>.</summary>
    Auto,
}

/// <summary>
/// <c>"disclosure": {"mode": "full|discover|auto", "auto": {"maxTools": 80, "maxTokens": 20000}, "pinned": ["memory__search_nodes"]}</c>:
/// gateway-wide, per role or identity in <c>auth</c>, and per connection with <c>?tools=discover</c> on the endpoint URL.
/// Tokens are estimated as UTF-8 bytes / 4 of the list result.
/// </summary>
internal sealed record DisclosureConfig(DisclosureMode Mode, int MaxTools, int MaxTokens, IReadOnlyList<string> Pinned)
{
    public static readonly DisclosureConfig Default = new(DisclosureMode.Full, 80, 20_000, []);

    public bool Equals(DisclosureConfig? other) =>
        other is not null && Mode == other.Mode && MaxTools == other.MaxTools && MaxTokens == other.MaxTokens && Pinned.SequenceEqual(other.Pinned);

    public override int GetHashCode() => HashCode.Combine(Mode, MaxTools, MaxTokens, Pinned.Count);

    public static DisclosureMode? ParseMode(string? text) => text switch
    {
        "full" => DisclosureMode.Full,
        "discover" => DisclosureMode.Discover,
        "auto" => DisclosureMode.Auto,
        _ => null,
    };

    /// <summary>Reads a "disclosure" object over <paramref name="inherited"/>; null (after <paramref name="error"/>) when malformed.</summary>
    public static DisclosureConfig? Parse(JsonElement value, DisclosureConfig inherited, Action<string, string> error)
    {
        if (value.ValueKind == JsonValueKind.String && ParseMode(value.GetString()) is { } shortMode)
        {
            return inherited with { Mode = shortMode };
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            error("disclosure", "\"disclosure\" must be \"full\", \"discover\", \"auto\" or {\"mode\": …, \"auto\": {\"maxTools\": 80, \"maxTokens\": 20000}, \"pinned\": [\"server__tool\"]}");
            return null;
        }
        var result = inherited;
        if (value.TryGetProperty("mode", out var mode))
        {
            if (ParseMode(mode.ValueKind == JsonValueKind.String ? mode.GetString() : null) is not { } parsed)
            {
                error("disclosure.mode", "\"mode\" must be \"full\", \"discover\" or \"auto\"");
                return null;
            }
            result = result with { Mode = parsed };
        }
        if (value.TryGetProperty("auto", out var auto))
        {
            int Limit(string member, int fallback)
            {
                if (!auto.TryGetProperty(member, out var n))
                {
                    return fallback;
                }
                if (n.ValueKind != JsonValueKind.Number || !n.TryGetInt32(out var v) || v < 1)
                {
                    error($"disclosure.auto.{member}", $"\"{member}\" must be a positive whole number");
                    return fallback;
                }
                return v;
            }
            if (auto.ValueKind != JsonValueKind.Object)
            {
                error("disclosure.auto", "\"auto\" must be {\"maxTools\": 80, \"maxTokens\": 20000}");
                return null;
            }
            result = result with { MaxTools = Limit("maxTools", result.MaxTools), MaxTokens = Limit("maxTokens", result.MaxTokens) };
        }
        if (value.TryGetProperty("pinned", out _))
        {
            var pinned = Glob.ReadList(value, "pinned", "memory__search_nodes", m => error("disclosure.pinned", m));
            if (pinned is null)
            {
                return null;
            }
            result = result with { Pinned = pinned };
        }
        return result;
    }
}
