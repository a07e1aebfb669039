using System.Security.Cryptography;
using System.Text;

namespace MCProxy.Aggregation;

/// <summary>
/// Exposed tool names: <c>&lt;server&gt;&lt;separator&gt;&lt;tool&gt;</c>. Names over 64 characters (the limit Claude
/// and OpenAI enforce) are cut to 55 characters plus '_' and 8 hex digits of the full name's SHA-256: deterministic,
/// so a client sees the same name across restarts, and reversible through the catalogue's route table.
/// </summary>
internal static class ToolNaming
{
    public const int MaxLength = 64;
    private const int HashChars = 8;

    public static string Expose(string server, string tool, string separator)
    {
        var full = server + separator + tool;
        return full.Length <= MaxLength ? full : Shorten(full);
    }

    /// <summary>A tool of a server whose prefix is empty: its own name, shortened the same way when too long.</summary>
    public static string Bare(string tool) => tool.Length <= MaxLength ? tool : Shorten(tool);

    public static string Shorten(string full)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(full));
        var suffix = Convert.ToHexStringLower(hash.AsSpan(0, HashChars / 2));
        return string.Concat(full.AsSpan(0, MaxLength - HashChars - 1), "_", suffix);
    }
}
