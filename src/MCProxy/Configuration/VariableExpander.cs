using System.Text;

namespace MCProxy.Configuration;

/// <summary>Expands <c>${VAR}</c> and <c>${VAR:-default}</c>; <c>$$</c> is a literal dollar sign.</summary>
internal static class VariableExpander
{
    /// <summary>Returns the expanded text, or null with the names of unset variables (that had no default).</summary>
    public static string? Expand(string text, Func<string, string?> lookup, List<string> unset)
    {
        if (!text.Contains('$'))
        {
            return text;
        }
        var sb = new StringBuilder(text.Length);
        var failed = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '$' || i + 1 >= text.Length)
            {
                sb.Append(c);
                continue;
            }
            if (text[i + 1] == '$')
            {
                sb.Append('$');
                i++;
                continue;
            }
            var close = text[i + 1] == '{' ? text.IndexOf('}', i + 2) : -1;
            if (close < 0)
            {
                sb.Append(c);
                continue;
            }
            var body = text.AsSpan(i + 2, close - i - 2);
            var sep = body.IndexOf(":-");
            var name = (sep >= 0 ? body[..sep] : body).ToString();
            var value = lookup(name);
            if (string.IsNullOrEmpty(value) && sep >= 0)
            {
                value = body[(sep + 2)..].ToString();
            }
            if (value is null)
            {
                unset.Add(name);
                failed = true;
            }
            else
            {
                sb.Append(value);
            }
            i = close;
        }
        return failed ? null : sb.ToString();
    }
}
