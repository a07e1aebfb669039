using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using MCProxy.Configuration;

namespace MCProxy.Output;

/// <summary>
/// Masks secrets in what leaves the gateway: every JSON string value of a result or an error (text content,
/// structuredContent, error messages; not the keys, not base64 <c>data</c>/<c>blob</c>), and stderr lines /health
/// shows. <c>"redact": "default"</c> brings the built-in set (AWS keys, GitHub and Slack tokens, bearer tokens,
/// PEM private key blocks) plus the gateway's own configured secrets; custom rules add to it.
/// NOTE 1: every regex has a match timeout; a rule that times out leaves that text as it was and counts nothing.
/// </summary>
internal sealed partial class Redactor
{
    public static readonly Redactor None = new([], []);

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly IReadOnlyList<RedactionRule> _rules;
    private readonly IReadOnlyList<string> _literals;

    private Redactor(IReadOnlyList<RedactionRule> rules, IReadOnlyList<string> literals)
    {
        _rules = rules;
        _literals = literals;
    }

    public bool IsNone => _rules.Count == 0 && _literals.Count == 0;

    /// <summary>The built-in rules of <c>"redact": "default"</c>.</summary>
    public static IReadOnlyList<RedactionRule> Builtin { get; } =
    [
        new(PemPrivateKey(), "[REDACTED PRIVATE KEY]"),
        new(AwsAccessKey(), "[REDACTED AWS KEY]"),
        new(AwsSecret(), "$1[REDACTED]"),
        new(GitHubToken(), "[REDACTED GITHUB TOKEN]"),
        new(SlackToken(), "[REDACTED SLACK TOKEN]"),
        new(BearerToken(), "Bearer [REDACTED]"),
    ];

    /// <summary>The redactor for one server: the top-level settings and the server's own, with its configured secrets.</summary>
    public static Redactor For(RedactionConfig global, RedactionConfig server, IEnumerable<string> secrets)
    {
        if (global.IsOff && server.IsOff)
        {
            return None;
        }
        var useDefault = global.Default || server.Default;
        var rules = new List<RedactionRule>();
        if (useDefault)
        {
            rules.AddRange(Builtin);
        }
        rules.AddRange(global.Rules);
        rules.AddRange(server.Rules);
        // Longest first, so a secret that contains another is masked whole.
        var literals = useDefault ? secrets.Where(s => s.Length >= 8).Distinct().OrderByDescending(s => s.Length).ToArray() : [];
        return new Redactor(rules, literals);
    }

    /// <summary>Masks one text; adds the number of replacements to <paramref name="count"/>.</summary>
    public string Redact(string text, ref int count)
    {
        foreach (var literal in _literals)
        {
            var at = text.IndexOf(literal, StringComparison.Ordinal);
            if (at >= 0)
            {
                var n = 0;
                for (; at >= 0; at = text.IndexOf(literal, at + literal.Length, StringComparison.Ordinal))
                {
                    n++;
                }
                text = text.Replace(literal, "[REDACTED]", StringComparison.Ordinal);
                count += n;
            }
        }
        foreach (var rule in _rules)
        {
            try
            {
                var n = 0;
                var replaced = rule.Pattern.Replace(text, m => { n++; return m.Result(rule.Replace); });
                if (n > 0)
                {
                    text = replaced;
                    count += n;
                }
            }
            catch (RegexMatchTimeoutException)
            {
                // NOTE 1.
            }
        }
        return text;
    }

    /// <summary>
    /// Masks every string value of a JSON value (object, array or scalar). Returns the input when nothing matched,
    /// so an unredacted result keeps its exact bytes.
    /// </summary>
    public ReadOnlyMemory<byte> RedactJson(ReadOnlyMemory<byte> json, ref int count)
    {
        if (IsNone || json.IsEmpty)
        {
            return json;
        }
        var before = count;
        var buffer = new ArrayBufferWriter<byte>(json.Length + 64);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            var reader = new Utf8JsonReader(json.Span);
            var skipValue = false;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        skipValue = reader.ValueTextEquals("data"u8) || reader.ValueTextEquals("blob"u8);
                        writer.WritePropertyName(reader.GetString()!);
                        continue;
                    case JsonTokenType.String:
                        var value = reader.GetString()!;
                        writer.WriteStringValue(skipValue ? value : Redact(value, ref count));
                        break;
                    case JsonTokenType.StartObject:
                        writer.WriteStartObject();
                        break;
                    case JsonTokenType.EndObject:
                        writer.WriteEndObject();
                        break;
                    case JsonTokenType.StartArray:
                        writer.WriteStartArray();
                        break;
                    case JsonTokenType.EndArray:
                        writer.WriteEndArray();
                        break;
                    default:
                        writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                        break;
                }
                skipValue = false;
            }
        }
        return count == before ? json : buffer.WrittenMemory;
    }

    [GeneratedRegex(@"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----", RegexOptions.None, 100)]
    private static partial Regex PemPrivateKey();

    [GeneratedRegex(@"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA)[0-9A-Z]{16}\b", RegexOptions.None, 100)]
    private static partial Regex AwsAccessKey();

    [GeneratedRegex(@"((?i:aws_secret_access_key|aws_secret_key|secret_access_key)[""']?\s*[:=]\s*[""']?)[A-Za-z0-9/+=]{40}", RegexOptions.None, 100)]
    private static partial Regex AwsSecret();

    [GeneratedRegex(@"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b", RegexOptions.None, 100)]
    private static partial Regex GitHubToken();

    [GeneratedRegex(@"\bxox[abposr]-[A-Za-z0-9-]{10,}\b", RegexOptions.None, 100)]
    private static partial Regex SlackToken();

    [GeneratedRegex(@"\b[Bb]earer\s+[A-Za-z0-9\-._~+/]{8,}=*", RegexOptions.None, 100)]
    private static partial Regex BearerToken();
}
