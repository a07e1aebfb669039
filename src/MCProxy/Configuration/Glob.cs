using System.Text.Json;

namespace MCProxy.Configuration;

/// <summary>A name pattern where <c>*</c> matches any run of characters (none included); everything else is literal.</summary>
internal sealed class Glob
{
    private readonly string[] _parts;

    public Glob(string pattern)
    {
        Pattern = pattern;
        _parts = pattern.Split('*');
    }

    public string Pattern { get; }

    public bool Matches(string name)
    {
        if (_parts.Length == 1)
        {
            return string.Equals(name, Pattern, StringComparison.Ordinal);
        }
        if (!name.StartsWith(_parts[0], StringComparison.Ordinal) || !name.EndsWith(_parts[^1], StringComparison.Ordinal) ||
            name.Length < _parts[0].Length + _parts[^1].Length)
        {
            return false;
        }
        var at = _parts[0].Length;
        var end = name.Length - _parts[^1].Length;
        for (var i = 1; i < _parts.Length - 1; i++)
        {
            var found = name.IndexOf(_parts[i], at, end - at, StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }
            at = found + _parts[i].Length;
        }
        return true;
    }

    /// <summary>
    /// Reads <c>object[member]</c> as a list of non-empty glob strings: empty when absent, null (after
    /// <paramref name="error"/> with <paramref name="example"/>) when it is anything else.
    /// </summary>
    public static IReadOnlyList<string>? ReadList(JsonElement owner, string member, string example, Action<string> error)
    {
        if (!owner.TryGetProperty(member, out var list))
        {
            return [];
        }
        if (list.ValueKind != JsonValueKind.Array || list.EnumerateArray().Any(g => g.ValueKind != JsonValueKind.String || g.GetString()!.Length == 0))
        {
            error($"\"{member}\" must be an array of non-empty globs such as \"{example}\"");
            return null;
        }
        return list.EnumerateArray().Select(g => g.GetString()!).ToArray();
    }
}
