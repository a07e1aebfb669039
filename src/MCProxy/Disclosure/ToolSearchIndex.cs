using System.Runtime.CompilerServices;
using System.Text.Json;
using MCProxy.Aggregation;

namespace MCProxy.Disclosure;

/// <summary>
/// BM25 over the tool catalogue: names (exposed and split into words), titles, descriptions and parameter names and
/// descriptions, each field weighted; query words are stemmed and expanded with a small set of synonyms common in
/// tool descriptions (remove/delete, find/search …) at half weight. One index per catalogue snapshot, built on
/// first use, so it is always current with the catalogue.
/// </summary>
internal sealed class ToolSearchIndex
{
    private const double K1 = 1.2;
    private const double B = 0.75;
    private const double NameWeight = 3;
    private const double TitleWeight = 2;
    private const double DescriptionWeight = 1;
    private const double ParameterWeight = 1;
    private const double SynonymWeight = 0.5;

    private static readonly ConditionalWeakTable<ToolCatalog, ToolSearchIndex> Indexes = new();

    private static readonly HashSet<string> StopWords =
    [
        "a", "an", "the", "of", "to", "for", "in", "on", "and", "or", "with", "by", "from", "is", "are", "be", "this", "that",
        "it", "as", "at", "me", "my", "all", "any", "i", "can", "you", "do", "how", "what", "which", "into", "its", "some",
        "please", "want", "need", "would", "like", "there", "their", "them", "about", "using", "use",
    ];

    private static readonly Dictionary<string, string[]> Synonyms = BuildSynonyms(
    [
        ["remove", "delete", "erase", "drop", "destroy"],
        ["find", "search", "lookup", "look", "query", "locate", "grep", "match"],
        ["get", "fetch", "read", "retrieve", "load", "open", "view", "show", "cat"],
        ["list", "enumerate", "show", "browse", "ls"],
        ["create", "add", "new", "make", "insert", "mkdir"],
        ["update", "edit", "modify", "change", "replace", "patch", "alter"],
        ["file", "document"],
        ["directory", "folder", "dir"],
        ["move", "rename", "relocate", "mv"],
        ["write", "save", "store", "put", "persist"],
        ["entity", "node", "entities"],
        ["relation", "relations", "edge", "link", "connection", "relationship"],
        ["observation", "fact", "note"],
        ["graph", "knowledge", "memory"],
        ["sum", "add", "plus", "total"],
        ["image", "picture", "photo", "png", "tiny"],
        ["size", "length", "metadata", "info", "stat"],
        ["tree", "hierarchy", "recursive", "structure", "nested"],
        ["repeat", "echo"],
        ["env", "environment", "variables"],
        ["error", "fail", "exception"],
        ["long", "slow", "progress"],
        ["sample", "sampling", "llm", "model", "completion"],
        ["elicit", "elicitation", "ask", "input", "prompt"],
        ["resource", "resources", "uri"],
        ["annotated", "annotations", "annotation"],
        ["zip", "compress", "archive"],
        ["root", "roots", "workspace"],
    ]);

    private readonly IReadOnlyList<Document> _documents;
    private readonly Dictionary<string, List<(int Doc, double Tf)>> _postings = new(StringComparer.Ordinal);
    private readonly double _averageLength;

    private sealed record Document(string Name, string Server, double Length, byte[] Card);

    private ToolSearchIndex(ToolCatalog catalog)
    {
        var documents = new List<Document>(catalog.Items.Count);
        double totalLength = 0;
        for (var i = 0; i < catalog.Items.Count; i++)
        {
            var name = catalog.Names[i];
            var server = catalog.Routes.TryGetValue(name, out var route) ? route.Server : "";
            using var json = JsonDocument.Parse(catalog.Items[i]);
            var tool = json.RootElement;
            var terms = new Dictionary<string, double>(StringComparer.Ordinal);
            void Add(string? text, double weight)
            {
                foreach (var token in Tokens(text))
                {
                    terms[token] = terms.GetValueOrDefault(token) + weight;
                }
            }
            Add(name, NameWeight);
            Add(String(tool, "title"), TitleWeight);
            Add(String(tool, "description"), DescriptionWeight);
            if (tool.TryGetProperty("inputSchema", out var schema) && schema.ValueKind == JsonValueKind.Object &&
                schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in properties.EnumerateObject())
                {
                    Add(property.Name, ParameterWeight);
                    if (property.Value.ValueKind == JsonValueKind.Object)
                    {
                        Add(String(property.Value, "description"), ParameterWeight * 0.5);
                    }
                }
            }
            var length = terms.Values.Sum();
            totalLength += length;
            foreach (var (term, tf) in terms)
            {
                if (!_postings.TryGetValue(term, out var list))
                {
                    _postings[term] = list = [];
                }
                list.Add((documents.Count, tf));
            }
            documents.Add(new Document(name, server, length, Cards.Write(name, tool)));
        }
        _documents = documents;
        _averageLength = documents.Count == 0 ? 1 : totalLength / documents.Count;
    }

    public static ToolSearchIndex For(ToolCatalog catalog) => Indexes.GetValue(catalog, c => new ToolSearchIndex(c));

    /// <summary>The best matches among the tools <paramref name="visible"/> admits, best first.</summary>
    public IReadOnlyList<(string Name, double Score, byte[] Card)> Search(string query, Func<string, string, bool> visible, int limit)
    {
        var scores = new Dictionary<int, double>();
        var queryTerms = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var token in Tokens(query))
        {
            queryTerms[token] = Math.Max(queryTerms.GetValueOrDefault(token), 1);
            foreach (var synonym in Synonyms.GetValueOrDefault(token) ?? [])
            {
                queryTerms[synonym] = Math.Max(queryTerms.GetValueOrDefault(synonym), SynonymWeight);
            }
        }
        var n = _documents.Count;
        foreach (var (term, weight) in queryTerms)
        {
            if (!_postings.TryGetValue(term, out var postings))
            {
                continue;
            }
            var idf = Math.Log(1 + (n - postings.Count + 0.5) / (postings.Count + 0.5));
            foreach (var (doc, tf) in postings)
            {
                var norm = tf * (K1 + 1) / (tf + K1 * (1 - B + B * _documents[doc].Length / _averageLength));
                scores[doc] = scores.GetValueOrDefault(doc) + weight * idf * norm;
            }
        }
        return scores
            .Where(s => visible(_documents[s.Key].Name, _documents[s.Key].Server))
            .OrderByDescending(s => s.Value).ThenBy(s => _documents[s.Key].Name, StringComparer.Ordinal)
            .Take(limit)
            .Select(s => (_documents[s.Key].Name, s.Value, _documents[s.Key].Card))
            .ToList();
    }

    private static string? String(JsonElement owner, string member) =>
        owner.TryGetProperty(member, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Lower-case words, split at non-letters and camelCase humps, stop words out, lightly stemmed.</summary>
    internal static IEnumerable<string> Tokens(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            yield break;
        }
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var boundary = i == text.Length || !char.IsLetterOrDigit(text[i]) ||
                           (i > start && start >= 0 && char.IsUpper(text[i]) && i > 0 && char.IsLower(text[i - 1]));
            if (boundary && start >= 0)
            {
                var word = text[start..i].ToLowerInvariant();
                if (word.Length > 1 && !StopWords.Contains(word))
                {
                    yield return Stem(word);
                }
                start = -1;
            }
            if (i < text.Length && char.IsLetterOrDigit(text[i]) && start < 0)
            {
                start = i;
            }
        }
    }

    /// <summary>A light suffix-stripping stemmer: enough that "files", "deleting" and "deleted" meet "file" and "delete".</summary>
    internal static string Stem(string word)
    {
        if (word.Length <= 3 || char.IsDigit(word[^1]))
        {
            return word;
        }
        foreach (var (suffix, replacement) in new[] { ("ies", "i"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("e", ""), ("y", "i") })
        {
            if (word.EndsWith(suffix, StringComparison.Ordinal) && word.Length - suffix.Length >= 3)
            {
                var stem = word[..^suffix.Length] + replacement;
                return stem.EndsWith('e') && stem.Length > 3 ? stem[..^1] : stem;
            }
        }
        return word;
    }

    private static Dictionary<string, string[]> BuildSynonyms(string[][] words)
    {
        var map = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var group in words.Select(g => g.Select(Stem).Distinct().ToArray()))
        {
            foreach (var word in group)
            {
                map[word] = [.. (map.GetValueOrDefault(word) ?? []).Concat(group.Where(w => w != word)).Distinct()];
            }
        }
        return map;
    }
}
