using System.Runtime.CompilerServices;
using System.Text.Json;
using MCProxy.Aggregation;

namespace MCProxy.Disclosure;

/// <summary>
/// BM25F over the tool catalogue: four fields (the exposed name split into words, the title, the description, and the
/// parameters' names and descriptions), each with its own weight and its own length normalisation, so a long
/// description does not drown a match in the name. Words are Porter-stemmed and stop words dropped; query words are
/// expanded with a small set of synonyms common in tool descriptions (remove/delete, find/search …) at half weight,
/// each word and its synonyms scored as one term, and a file name in the query (<c>notes.txt</c>, <c>.md</c>) counts as the word "file". One index per catalogue
/// snapshot, built on first use, so it is always current with the catalogue.
/// </summary>
internal sealed class ToolSearchIndex
{
    private const double K1 = 1.2;
    private const double SynonymWeight = 0.5;

    // BM25F: weight and length normalisation (b) per field. Names and titles are short and say what a tool is;
    // descriptions vary from one line to a paragraph, so their length counts for more.
    private static readonly (double Weight, double B)[] Fields =
    [
        (3.0, 0.3),  // name
        (2.0, 0.3),  // title
        (1.0, 0.75), // description
        (1.0, 0.75), // parameters: names, and their descriptions at half weight
    ];

    private const int NameField = 0, TitleField = 1, DescriptionField = 2, ParameterField = 3;

    private static readonly ConditionalWeakTable<ToolCatalog, ToolSearchIndex> Indexes = new();

    // English function words (a common stop list), less the few that carry meaning in a tool query (not, no, off, up, down).
    private static readonly HashSet<string> StopWords =
    [
        "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at", "be",
        "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do",
        "does", "doing", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her",
        "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself",
        "just", "me", "more", "most", "my", "myself", "nor", "of", "on", "once", "only", "or", "other", "our", "ours",
        "ourselves", "out", "over", "own", "please", "same", "she", "should", "so", "some", "such", "than", "that", "the",
        "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too",
        "under", "until", "us", "using", "use", "very", "want", "need", "was", "we", "were", "what", "when", "where",
        "which", "while", "who", "whom", "why", "will", "with", "would", "like", "you", "your", "yours", "yourself",
        "yourselves",
    ];

    private static readonly Dictionary<string, string[]> Synonyms = BuildSynonyms(
    [
        ["remove", "delete", "erase", "drop", "destroy", "forget", "discard", "unlink"],
        ["find", "search", "lookup", "look", "query", "locate", "grep", "match"],
        ["get", "fetch", "read", "retrieve", "load", "open", "view", "show", "cat", "see", "display"],
        ["list", "enumerate", "show", "browse", "ls"],
        ["create", "add", "new", "make", "insert", "mkdir"],
        ["update", "edit", "modify", "change", "replace", "patch", "alter"],
        ["multiple", "several", "many", "batch", "bulk"],
        ["file", "document"],
        ["directory", "folder", "dir"],
        ["move", "rename", "relocate", "mv"],
        ["write", "save", "store", "put", "persist"],
        ["entity", "node", "entities"],
        ["relation", "relations", "edge", "link", "connection", "relationship"],
        ["observation", "fact", "note"],
        ["graph", "knowledge", "memory", "remember", "memorize"],
        ["sum", "add", "plus", "total"],
        ["image", "picture", "photo", "png", "tiny"],
        ["size", "length", "metadata", "info", "stat"],
        ["tree", "hierarchy", "recursive", "structure", "nested"],
        ["repeat", "echo"],
        ["env", "environment", "variables"],
        ["error", "fail", "exception"],
        ["long", "slow", "progress"],
        ["toggle", "enable", "disable", "switch", "turn"],
        ["sample", "sampling", "llm", "model", "completion"],
        ["elicit", "elicitation", "ask", "input", "prompt"],
        ["resource", "resources", "uri"],
        ["annotated", "annotations", "annotation"],
        ["zip", "compress", "archive"],
        ["root", "roots", "workspace"],
    ]);

    private static readonly string FileWord = Stem("file");

    private readonly IReadOnlyList<Document> _documents;
    private readonly Dictionary<string, (int Doc, double Tf)[]> _postings;

    /// <param name="Definition">Equal for copies of one tool: the same tool and definition under several servers' prefixes.</param>
    private sealed record Document(string Name, string Server, int Definition, byte[] Card);

    private ToolSearchIndex(ToolCatalog catalog)
    {
        var documents = new List<Document>(catalog.Items.Count);
        // Per document: each field's weighted term counts and length.
        var fieldTerms = new List<Dictionary<string, double>[]>(catalog.Items.Count);
        var totalLengths = new double[Fields.Length];
        var definitions = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < catalog.Items.Count; i++)
        {
            var name = catalog.Names[i];
            var server = catalog.Routes.TryGetValue(name, out var route) ? route.Server : "";
            using var json = JsonDocument.Parse(catalog.Items[i]);
            var tool = json.RootElement;
            var fields = new Dictionary<string, double>[Fields.Length];
            for (var f = 0; f < fields.Length; f++)
            {
                fields[f] = new Dictionary<string, double>(StringComparer.Ordinal);
            }
            void Add(int field, string? text, double weight = 1)
            {
                foreach (var token in Tokens(text))
                {
                    fields[field][token] = fields[field].GetValueOrDefault(token) + weight;
                }
            }
            Add(NameField, name);
            Add(TitleField, String(tool, "title"));
            Add(DescriptionField, String(tool, "description"));
            if (tool.TryGetProperty("inputSchema", out var schema) && schema.ValueKind == JsonValueKind.Object &&
                schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in properties.EnumerateObject())
                {
                    Add(ParameterField, property.Name);
                    if (property.Value.ValueKind == JsonValueKind.Object)
                    {
                        Add(ParameterField, String(property.Value, "description"), 0.5);
                    }
                }
            }
            for (var f = 0; f < fields.Length; f++)
            {
                totalLengths[f] += fields[f].Values.Sum();
            }
            fieldTerms.Add(fields);
            var key = DefinitionKey(route?.Tool ?? name, tool);
            if (!definitions.TryGetValue(key, out var definition))
            {
                definitions[key] = definition = definitions.Count;
            }
            documents.Add(new Document(name, server, definition, Cards.Write(name, tool)));
        }
        // Each (term, document)'s pseudo-frequency: the fields' counts, each normalised by its own length and weighted.
        // It does not depend on the query, so it is computed here once.
        var averages = totalLengths.Select(t => documents.Count == 0 || t == 0 ? 1 : t / documents.Count).ToArray();
        var postings = new Dictionary<string, List<(int, double)>>(StringComparer.Ordinal);
        for (var doc = 0; doc < fieldTerms.Count; doc++)
        {
            var fields = fieldTerms[doc];
            var tf = new Dictionary<string, double>(StringComparer.Ordinal);
            for (var f = 0; f < fields.Length; f++)
            {
                var (weight, b) = Fields[f];
                var norm = 1 - b + b * fields[f].Values.Sum() / averages[f];
                foreach (var (term, count) in fields[f])
                {
                    tf[term] = tf.GetValueOrDefault(term) + weight * count / norm;
                }
            }
            foreach (var (term, value) in tf)
            {
                if (!postings.TryGetValue(term, out var list))
                {
                    postings[term] = list = [];
                }
                list.Add((doc, value));
            }
        }
        _documents = documents;
        _postings = postings.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
    }

    public static ToolSearchIndex For(ToolCatalog catalog) => Indexes.GetValue(catalog, c => new ToolSearchIndex(c));

    /// <summary>
    /// The best matches among the tools <paramref name="visible"/> admits, best first. Each query word is one concept:
    /// the word (weight 1) or any of its synonyms (weight ½), scored as one term (as Lucene's SynonymQuery does): the
    /// pseudo-frequency sums its members' weighted frequencies and the idf is that of the documents holding any of
    /// them, so a word with many synonyms does not count many times, and a rare synonym does not outweigh the word.
    /// Copies of one tool on several servers (replicas: the same name at the server, the same definition) score alike;
    /// the best copy of each tool comes first, in score order, and the further copies after every distinct tool, so the
    /// first results are different tools rather than one tool's copies (<c>server</c> narrows to one server's).
    /// </summary>
    public IReadOnlyList<(string Name, double Score, byte[] Card)> Search(string query, Func<string, string, bool> visible, int limit)
    {
        var concepts = new List<string>();
        foreach (var token in Tokens(query))
        {
            if (!concepts.Contains(token))
            {
                concepts.Add(token);
            }
        }
        if (MentionsFileName(query) && !concepts.Contains(FileWord))
        {
            concepts.Add(FileWord);
        }
        var scores = new Dictionary<int, double>();
        var tf = new Dictionary<int, double>();
        var n = _documents.Count;
        foreach (var concept in concepts)
        {
            tf.Clear();
            void Add(string term, double weight)
            {
                if (_postings.TryGetValue(term, out var postings))
                {
                    foreach (var (doc, f) in postings)
                    {
                        tf[doc] = tf.GetValueOrDefault(doc) + weight * f;
                    }
                }
            }
            Add(concept, 1);
            foreach (var synonym in Synonyms.GetValueOrDefault(concept) ?? [])
            {
                Add(synonym, SynonymWeight);
            }
            if (tf.Count == 0)
            {
                continue;
            }
            var idf = Math.Log(1 + (n - tf.Count + 0.5) / (tf.Count + 0.5));
            foreach (var (doc, f) in tf)
            {
                scores[doc] = scores.GetValueOrDefault(doc) + idf * f * (K1 + 1) / (f + K1);
            }
        }
        var ranked = scores
            .Where(s => visible(_documents[s.Key].Name, _documents[s.Key].Server))
            .OrderByDescending(s => s.Value).ThenBy(s => _documents[s.Key].Name, StringComparer.Ordinal)
            .ToList();
        var seen = new HashSet<int>();
        var firsts = new List<KeyValuePair<int, double>>(Math.Min(limit, ranked.Count));
        var copies = new List<KeyValuePair<int, double>>();
        foreach (var hit in ranked)
        {
            (seen.Add(_documents[hit.Key].Definition) ? firsts : copies).Add(hit);
        }
        return firsts.Concat(copies)
            .Take(limit)
            .Select(s => (_documents[s.Key].Name, s.Value, _documents[s.Key].Card))
            .ToList();
    }

    /// <summary>The tool's name at its server and its definition less the exposed name: equal for copies of one tool.</summary>
    private static string DefinitionKey(string tool, JsonElement definition)
    {
        var key = new System.Text.StringBuilder(tool);
        foreach (var property in definition.EnumerateObject())
        {
            if (property.Name != "name")
            {
                key.Append('\n').Append(property.Name).Append(':').Append(property.Value.GetRawText());
            }
        }
        return key.ToString();
    }

    private static string? String(JsonElement owner, string member) =>
        owner.TryGetProperty(member, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>
    /// Whether the text names a file: a word, a dot and a 1–5 character extension that starts with a letter
    /// (<c>notes.txt</c>, <c>package.json</c>), or such an extension alone after a space (<c>.md files</c>).
    /// Not <c>e.g.</c>, <c>0.5</c> or a sentence's full stop.
    /// </summary>
    internal static bool MentionsFileName(string text)
    {
        for (var dot = text.IndexOf('.'); dot >= 0; dot = text.IndexOf('.', dot + 1))
        {
            var before = dot;
            while (before > 0 && (char.IsLetterOrDigit(text[before - 1]) || text[before - 1] is '_' or '-'))
            {
                before--;
            }
            var after = dot + 1;
            while (after < text.Length && char.IsLetterOrDigit(text[after]))
            {
                after++;
            }
            var extension = after - dot - 1;
            var stemLength = dot - before;
            var alone = stemLength == 0 && (dot == 0 || char.IsWhiteSpace(text[dot - 1]) || text[dot - 1] is '*' or '/');
            if (extension is >= 1 and <= 5 && char.IsLetter(text[dot + 1]) && (stemLength >= 2 || alone) &&
                (after == text.Length || !char.IsLetterOrDigit(text[after])))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Lower-case words, split at non-letters and camelCase humps, stop words out, stemmed.</summary>
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

    /// <summary>The Porter stem of a word ("files", "deleting" and "deleted" meet "file" and "delete"); words with digits stay whole.</summary>
    internal static string Stem(string word) => PorterStemmer.Stem(word);

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
