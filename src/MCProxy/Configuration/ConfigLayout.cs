using System.Text;
using System.Text.Json;

namespace MCProxy.Configuration;

/// <summary>
/// Where things are in the bytes of a config file, found with <see cref="Utf8JsonReader"/> (comments and trailing
/// commas allowed, as the loader allows them): the root object, the server container (<c>"servers"</c> array or
/// object, or <c>"mcpServers"</c> object) and each entry's byte range and properties. <see cref="ConfigEditor"/>
/// splices at these positions, so every byte it does not mean to change stays as it was.
/// </summary>
internal sealed class ConfigLayout
{
    /// <summary>One server entry: <see cref="Start"/> is the key (keyed form) or the object (array form);
    /// <see cref="End"/> is just past the entry's value.</summary>
    internal sealed record Entry(string? Name, int Start, int End, int ObjectStart, int ObjectEnd, IReadOnlyList<Property> Properties);

    /// <summary>A property of an entry: its key's first byte, its value's range.</summary>
    internal sealed record Property(string Name, int KeyStart, int ValueStart, int ValueEnd);

    private static readonly JsonReaderOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private ConfigLayout(byte[] bytes) => Bytes = bytes;

    public byte[] Bytes { get; }

    /// <summary>The root object's braces: index of '{' and of '}'.</summary>
    public int RootStart { get; private set; }
    public int RootEnd { get; private set; }

    /// <summary>The root's properties (for adding a container when the file has none).</summary>
    public List<Property> RootProperties { get; } = [];

    /// <summary>"servers" or "mcpServers"; null when the file has neither.</summary>
    public string? ContainerName { get; private set; }

    /// <summary>Whether entries are keyed by name (an object) rather than array elements with a "name".</summary>
    public bool Keyed { get; private set; }

    /// <summary>Index of the container's opening and closing bracket.</summary>
    public int ContainerStart { get; private set; }
    public int ContainerEnd { get; private set; }

    public List<Entry> Entries { get; } = [];

    public string Newline => Bytes.AsSpan().IndexOf("\r\n"u8) >= 0 ? "\r\n" : "\n";

    /// <exception cref="ConfigEditException">the text is not a JSON object, or its server container has the wrong type.</exception>
    public static ConfigLayout Read(byte[] bytes)
    {
        var layout = new ConfigLayout(bytes);
        try
        {
            layout.Scan();
        }
        catch (JsonException ex)
        {
            throw new ConfigEditException($"the file is not valid JSON (line {ex.LineNumber + 1}): fix it first (mcproxy check shows where)");
        }
        return layout;
    }

    public Entry? Find(string name) => Entries.FirstOrDefault(e => e.Name == name);

    /// <summary>The whitespace before <paramref name="index"/> back to the start of its line; null when other text precedes it on that line.</summary>
    public string? IndentBefore(int index)
    {
        var i = index;
        while (i > 0 && Bytes[i - 1] is (byte)' ' or (byte)'\t')
        {
            i--;
        }
        return i == 0 || Bytes[i - 1] == '\n' ? Encoding.UTF8.GetString(Bytes, i, index - i) : null;
    }

    /// <summary>The indentation of the line that holds <paramref name="index"/>.</summary>
    public string LineIndent(int index)
    {
        var start = index;
        while (start > 0 && Bytes[start - 1] != '\n')
        {
            start--;
        }
        var end = start;
        while (end < Bytes.Length && Bytes[end] is (byte)' ' or (byte)'\t')
        {
            end++;
        }
        return Encoding.UTF8.GetString(Bytes, start, end - start);
    }

    /// <summary>Whether the file writes <c>"key": value</c> (a space after the colon), judged by its first colon.</summary>
    public bool SpaceAfterColon
    {
        get
        {
            var reader = new Utf8JsonReader(Bytes, Options);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName)
                {
                    // The reader consumes the colon with the name (or stops before it, after whitespace).
                    var at = (int)reader.BytesConsumed;
                    while (at < Bytes.Length && Bytes[at - 1] != ':')
                    {
                        at++;
                    }
                    return at < Bytes.Length && Bytes[at] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';
                }
            }
            return true;
        }
    }

    private void Scan()
    {
        var reader = new Utf8JsonReader(Bytes, Options);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new ConfigEditException("the file must be a JSON object with a \"servers\" array or a \"mcpServers\" object");
        }
        RootStart = (int)reader.TokenStartIndex;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            var keyStart = (int)reader.TokenStartIndex;
            reader.Read();
            var valueStart = (int)reader.TokenStartIndex;
            if (key is "servers" or "mcpServers" && ContainerName is null)
            {
                ReadContainer(ref reader, key);
            }
            else
            {
                reader.Skip();
            }
            RootProperties.Add(new Property(key, keyStart, valueStart, (int)reader.BytesConsumed));
        }
        RootEnd = (int)reader.TokenStartIndex;
    }

    private void ReadContainer(ref Utf8JsonReader reader, string key)
    {
        ContainerName = key;
        ContainerStart = (int)reader.TokenStartIndex;
        if (reader.TokenType == JsonTokenType.StartArray && key == "servers")
        {
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var start = (int)reader.TokenStartIndex;
                Entries.Add(ReadEntry(ref reader, null, start));
            }
        }
        else if (reader.TokenType == JsonTokenType.StartObject)
        {
            Keyed = true;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                var start = (int)reader.TokenStartIndex;
                reader.Read();
                Entries.Add(ReadEntry(ref reader, name, start));
            }
        }
        else
        {
            throw new ConfigEditException(key == "servers"
                ? "\"servers\" must be an array (or an object keyed by name): fix it first (mcproxy check)"
                : "\"mcpServers\" must be an object keyed by server name: fix it first (mcproxy check)");
        }
        ContainerEnd = (int)reader.TokenStartIndex;
    }

    private static Entry ReadEntry(ref Utf8JsonReader reader, string? key, int start)
    {
        var objectStart = (int)reader.TokenStartIndex;
        var properties = new List<Property>();
        string? name = key;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return new Entry(name, start, (int)reader.BytesConsumed, objectStart, (int)reader.BytesConsumed - 1, properties);
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var property = reader.GetString()!;
            var keyStart = (int)reader.TokenStartIndex;
            reader.Read();
            var valueStart = (int)reader.TokenStartIndex;
            if (key is null && property == "name" && reader.TokenType == JsonTokenType.String)
            {
                name ??= reader.GetString();
            }
            reader.Skip();
            properties.Add(new Property(property, keyStart, valueStart, (int)reader.BytesConsumed));
        }
        var objectEnd = (int)reader.TokenStartIndex;
        return new Entry(name, start, objectEnd + 1, objectStart, objectEnd, properties);
    }
}
