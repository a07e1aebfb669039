using System.Text;

namespace MCProxy.Configuration;

/// <summary>
/// Edits the text of a config file the way a careful person would: only the bytes of the entry added, removed or
/// switched change; every other entry keeps its order, formatting and comments (<see cref="ConfigLayout"/> finds the
/// positions). Pure: bytes in, bytes out. The caller validates the result and saves it atomically.
/// </summary>
internal static class ConfigEditor
{
    /// <exception cref="ConfigEditException">a server of that name exists, or the file cannot take one.</exception>
    public static byte[] AddServer(byte[] bytes, NewServerEntry entry)
    {
        var layout = ConfigLayout.Read(bytes);
        if (layout.Find(entry.Name) is not null)
        {
            throw new ConfigEditException($"server '{entry.Name}' already exists: choose another name, or mcproxy servers remove {entry.Name} first");
        }
        var nl = layout.Newline;
        var colon = layout.SpaceAfterColon;
        if (layout.ContainerName is null)
        {
            // No container yet: a "servers" array as the root's last property.
            var rootIndent = layout.RootProperties.Count > 0 ? layout.IndentBefore(layout.RootProperties[^1].KeyStart) : null;
            var unit = rootIndent is { Length: > 0 } ? rootIndent : "  ";
            var body = entry.Render(withName: true, unit + unit, unit, colon, nl);
            var container = NewServerEntry.Quote("servers") + (colon ? ": " : ":") + "[" + nl + unit + unit + body + nl + unit + "]";
            return layout.RootProperties.Count == 0
                ? Splice(bytes, layout.RootStart + 1, layout.RootEnd, nl + unit + container + nl)
                : Splice(bytes, layout.RootProperties[^1].ValueEnd, layout.RootProperties[^1].ValueEnd, "," + nl + unit + container);
        }
        var keyPrefix = layout.Keyed ? NewServerEntry.Quote(entry.Name) + (colon ? ": " : ":") : "";
        if (layout.Entries.Count == 0)
        {
            var outer = layout.LineIndent(layout.ContainerStart);
            var unit = Unit(layout, outer);
            var text = keyPrefix + entry.Render(!layout.Keyed, outer + unit, unit, colon, nl);
            var inside = bytes.AsSpan(layout.ContainerStart + 1, layout.ContainerEnd - layout.ContainerStart - 1);
            // An empty container's whitespace is replaced; anything else in it (a comment) stays before the entry.
            return inside.Trim(" \t\r\n"u8).IsEmpty
                ? Splice(bytes, layout.ContainerStart + 1, layout.ContainerEnd, nl + outer + unit + text + nl + outer)
                : Splice(bytes, layout.ContainerEnd, layout.ContainerEnd, nl + outer + unit + text + nl + outer);
        }
        var last = layout.Entries[^1];
        var indent = layout.IndentBefore(last.Start);
        var multiLine = Array.IndexOf(bytes, (byte)'\n', last.ObjectStart, last.ObjectEnd - last.ObjectStart) >= 0;
        var unitHere = Unit(layout, layout.LineIndent(layout.ContainerStart));
        var rendered = keyPrefix + entry.Render(!layout.Keyed, multiLine ? indent ?? "" : null, unitHere, colon, nl);
        return Splice(bytes, last.End, last.End, indent is null ? ", " + rendered : "," + nl + indent + rendered);
    }

    /// <exception cref="ConfigEditException">no server of that name.</exception>
    public static byte[] RemoveServer(byte[] bytes, string name)
    {
        var layout = ConfigLayout.Read(bytes);
        var index = layout.Entries.FindIndex(e => e.Name == name);
        if (index < 0)
        {
            throw NotFound(name);
        }
        var entries = layout.Entries;
        if (entries.Count == 1)
        {
            return Splice(bytes, layout.ContainerStart + 1, layout.ContainerEnd, "");
        }
        // Not the first: from the end of the one before (its comma goes too). The first: up to where the next begins.
        return index > 0
            ? Splice(bytes, entries[index - 1].End, entries[index].End, "")
            : Splice(bytes, entries[0].Start, entries[1].Start, "");
    }

    /// <summary>Sets <c>"enabled"</c> (or the Claude/Cursor <c>"disabled"</c>); null when the entry already says so.</summary>
    /// <exception cref="ConfigEditException">no server of that name, or the entry is not an object.</exception>
    public static byte[]? SetEnabled(byte[] bytes, string name, bool enabled)
    {
        var layout = ConfigLayout.Read(bytes);
        if (layout.Find(name) is not { } entry)
        {
            throw NotFound(name);
        }
        if (bytes[entry.ObjectStart] != '{')
        {
            throw new ConfigEditException($"server '{name}' is not a JSON object: fix it first (mcproxy check)");
        }
        var enabledProperty = entry.Properties.LastOrDefault(p => p.Name == "enabled");
        var disabledProperty = entry.Properties.LastOrDefault(p => p.Name == "disabled");
        var edits = new List<(int Start, int End, string Text)>();
        if (enabledProperty is not null && !IsLiteral(bytes, enabledProperty, enabled ? "true" : "false"))
        {
            edits.Add((enabledProperty.ValueStart, enabledProperty.ValueEnd, enabled ? "true" : "false"));
        }
        if (disabledProperty is not null && (enabled ? IsLiteral(bytes, disabledProperty, "true") : enabledProperty is null && !IsLiteral(bytes, disabledProperty, "true")))
        {
            edits.Add((disabledProperty.ValueStart, disabledProperty.ValueEnd, enabled ? "false" : "true"));
        }
        if (!enabled && enabledProperty is null && disabledProperty is null)
        {
            // The Claude/Cursor files spell it "disabled"; MCProxy's own, "enabled".
            var text = layout.ContainerName == "mcpServers" ? NewServerEntry.Quote("disabled") + Colon(layout) + "true"
                : NewServerEntry.Quote("enabled") + Colon(layout) + "false";
            edits.Add(InsertProperty(layout, entry, text));
        }
        if (edits.Count == 0)
        {
            return null;
        }
        var result = bytes;
        foreach (var (start, end, text) in edits.OrderByDescending(e => e.Start))
        {
            result = Splice(result, start, end, text);
        }
        return result;
    }

    /// <summary>The entry's text as the file has it (${VAR} unexpanded); null when there is no such server.</summary>
    public static string? EntryText(byte[] bytes, string name) =>
        ConfigLayout.Read(bytes).Find(name) is { } e ? Encoding.UTF8.GetString(bytes, e.ObjectStart, e.End - e.ObjectStart) : null;

    public static IReadOnlyList<string> ServerNames(byte[] bytes) =>
        ConfigLayout.Read(bytes).Entries.Select(e => e.Name).OfType<string>().ToArray();

    private static (int, int, string) InsertProperty(ConfigLayout layout, ConfigLayout.Entry entry, string property)
    {
        if (entry.Properties.Count == 0)
        {
            return (entry.ObjectStart + 1, entry.ObjectStart + 1, property);
        }
        var last = entry.Properties[^1];
        return layout.IndentBefore(last.KeyStart) is { } indent
            ? (last.ValueEnd, last.ValueEnd, "," + layout.Newline + indent + property)
            : (last.ValueEnd, last.ValueEnd, ", " + property);
    }

    private static bool IsLiteral(byte[] bytes, ConfigLayout.Property property, string literal) =>
        Encoding.UTF8.GetString(bytes, property.ValueStart, property.ValueEnd - property.ValueStart) == literal;

    private static string Colon(ConfigLayout layout) => layout.SpaceAfterColon ? ": " : ":";

    /// <summary>One level of indentation: what the first entry adds to its container's line, else two spaces.</summary>
    private static string Unit(ConfigLayout layout, string outer)
    {
        if (layout.Entries.Count > 0 && layout.IndentBefore(layout.Entries[0].Start) is { } first &&
            first.Length > outer.Length && first.StartsWith(outer, StringComparison.Ordinal))
        {
            return first[outer.Length..];
        }
        return layout.RootProperties.Count > 0 && layout.IndentBefore(layout.RootProperties[0].KeyStart) is { Length: > 0 } root ? root : "  ";
    }

    private static ConfigEditException NotFound(string name) =>
        new($"no server '{name}' in the config: mcproxy servers list shows the names");

    private static byte[] Splice(byte[] bytes, int start, int end, string insert)
    {
        var middle = Encoding.UTF8.GetBytes(insert);
        var result = new byte[start + middle.Length + bytes.Length - end];
        bytes.AsSpan(0, start).CopyTo(result);
        middle.CopyTo(result.AsSpan(start));
        bytes.AsSpan(end).CopyTo(result.AsSpan(start + middle.Length));
        return result;
    }
}
