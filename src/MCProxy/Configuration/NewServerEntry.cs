using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MCProxy.Configuration;

/// <summary>
/// A server entry <c>mcproxy servers add</c> writes: a stdio command with args and env, or a remote URL with
/// headers. Rendered in the file's own style: one line, or one property a line at the file's indentation.
/// </summary>
internal sealed record NewServerEntry(string Name)
{
    public string? Command { get; init; }
    public IReadOnlyList<string> Args { get; init; } = [];
    public IReadOnlyList<KeyValuePair<string, string>> Env { get; init; } = [];
    public string? Url { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The entry's object. <paramref name="indent"/> is the indentation of the line the entry starts on,
    /// <paramref name="unit"/> one level more; a null <paramref name="indent"/> writes it on one line.</summary>
    public string Render(bool withName, string? indent, string unit, bool spaceAfterColon, string newline)
    {
        var colon = spaceAfterColon ? ": " : ":";
        var properties = new List<string>();
        void Add(string key, string value) => properties.Add(Quote(key) + colon + value);
        if (withName)
        {
            Add("name", Quote(Name));
        }
        if (Url is not null)
        {
            Add("url", Quote(Url));
            if (Headers.Count > 0)
            {
                Add("headers", Object(Headers, colon));
            }
        }
        else
        {
            Add("command", Quote(Command ?? ""));
            if (Args.Count > 0)
            {
                Add("args", "[" + string.Join(", ", Args.Select(Quote)) + "]");
            }
            if (Env.Count > 0)
            {
                Add("env", Object(Env, colon));
            }
        }
        if (indent is null)
        {
            return "{" + string.Join(", ", properties) + "}";
        }
        var inner = indent + unit;
        var text = new StringBuilder("{").Append(newline);
        for (var i = 0; i < properties.Count; i++)
        {
            text.Append(inner).Append(properties[i]).Append(i < properties.Count - 1 ? "," : "").Append(newline);
        }
        return text.Append(indent).Append('}').ToString();
    }

    public static string Quote(string value) =>
        "\"" + JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString() + "\"";

    private static string Object(IReadOnlyList<KeyValuePair<string, string>> pairs, string colon) =>
        "{" + string.Join(", ", pairs.Select(p => Quote(p.Key) + colon + Quote(p.Value))) + "}";
}
