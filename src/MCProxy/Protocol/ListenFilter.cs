using System.Text.Json;

namespace MCProxy.Protocol;

/// <summary>
/// What a <c>subscriptions/listen</c> asks for (<c>params.notifications</c>), or what the gateway agreed to deliver
/// (the acknowledgement's <c>notifications</c>): the three list_changed kinds as opt-in booleans, and the resource
/// URIs (as exposed) whose <c>notifications/resources/updated</c> the client wants.
/// </summary>
internal sealed record ListenFilter(bool Tools, bool Prompts, bool Resources, IReadOnlyList<string> Uris)
{
    /// <summary>
    /// Resource URIs one listen stream may name: each is a subscribe request to a child, so one POST may not fan out
    /// into thousands of them. More: -32602 for the whole request, nothing subscribed.
    /// </summary>
    public const int MaxUris = 100;

    /// <summary>
    /// Reads <c>params.notifications</c>; null with a reason when it is missing or not the shape the revision gives
    /// it (an object of booleans and a string array). Unknown members are ignored: the revision may add kinds, and a
    /// kind the gateway does not know is one it does not deliver. Repeated URIs count once.
    /// </summary>
    public static ListenFilter? Parse(ReadOnlyMemory<byte> prms, out string? problem)
    {
        problem = null;
        if (!JsonSlice.TryGetProperty(prms, "notifications"u8, out var raw) || !JsonSlice.IsObject(raw.Span))
        {
            problem = "subscriptions/listen needs params.notifications, an object naming the notifications wanted";
            return null;
        }
        using var document = JsonDocument.Parse(raw);
        bool tools = false, prompts = false, resources = false;
        var uris = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in document.RootElement.EnumerateObject())
        {
            switch (member.Name)
            {
                case "toolsListChanged" or "promptsListChanged" or "resourcesListChanged":
                    if (member.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        problem = $"params.notifications.{member.Name} must be a boolean";
                        return null;
                    }
                    var wanted = member.Value.ValueKind == JsonValueKind.True;
                    tools |= wanted && member.Name == "toolsListChanged";
                    prompts |= wanted && member.Name == "promptsListChanged";
                    resources |= wanted && member.Name == "resourcesListChanged";
                    break;
                case "resourceSubscriptions":
                    if (member.Value.ValueKind != JsonValueKind.Array || member.Value.EnumerateArray().Any(u => u.ValueKind != JsonValueKind.String))
                    {
                        problem = "params.notifications.resourceSubscriptions must be an array of resource URIs";
                        return null;
                    }
                    foreach (var uri in member.Value.EnumerateArray().Select(u => u.GetString()!))
                    {
                        if (seen.Add(uri))
                        {
                            uris.Add(uri);
                        }
                    }
                    if (uris.Count > MaxUris)
                    {
                        problem = $"params.notifications.resourceSubscriptions names {uris.Count} resources; one listen stream takes at most {MaxUris} (open another for more)";
                        return null;
                    }
                    break;
            }
        }
        return new ListenFilter(tools, prompts, resources, uris);
    }

    /// <summary>Writes the filter as the revision's <c>SubscriptionFilter</c> object: only what is on.</summary>
    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        if (Tools)
        {
            w.WriteBoolean("toolsListChanged"u8, true);
        }
        if (Prompts)
        {
            w.WriteBoolean("promptsListChanged"u8, true);
        }
        if (Resources)
        {
            w.WriteBoolean("resourcesListChanged"u8, true);
        }
        if (Uris.Count > 0)
        {
            w.WriteStartArray("resourceSubscriptions"u8);
            foreach (var uri in Uris)
            {
                w.WriteStringValue(uri);
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }
}
