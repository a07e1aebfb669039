using System.Runtime.CompilerServices;
using MCProxy.Configuration;
using MCProxy.Supervision;

namespace MCProxy.Output;

/// <summary>
/// What happens to an answer before it leaves the gateway: redaction (every answer and error of a server with
/// redaction on), then, for tool results, the output cap with spill. Settings are the top-level ones (replaced
/// whole on every applied reload) and each server's own (its current definition: edits apply live).
/// </summary>
internal sealed class ResultFilter
{
    private readonly ServerRegistry _servers;
    private readonly SpillStore _spill;
    private readonly ConditionalWeakTable<ServerConfig, Redactor> _redactors = new();
    private volatile ResultsConfig _config;

    public ResultFilter(ServerRegistry servers, SpillStore spill, InitialResults initial)
    {
        _servers = servers;
        _spill = spill;
        _config = initial.Value;
        spill.Update(initial.Value.Spill);
    }

    public SpillStore Spill => _spill;

    public void Update(ResultsConfig config)
    {
        _config = config;
        _redactors.Clear();
        _spill.Update(config.Spill);
    }

    /// <summary>The redactor for a server's answers (and its stderr lines in /health).</summary>
    public Redactor RedactorFor(string server)
    {
        var config = _servers.TryGet(server, out var entry) ? entry.Definition.Config : null;
        if (config is null)
        {
            return _config.Redact.IsOff ? Redactor.None : Redactor.For(_config.Redact, RedactionConfig.Off, []);
        }
        var global = _config.Redact;
        return _redactors.GetValue(config, c => Redactor.For(global, c.Redact, c.Secrets));
    }

    /// <summary>A tool result: redacted, then capped (the full, redacted result spilled for <paramref name="owner"/>).</summary>
    public ReadOnlyMemory<byte> ToolResult(string server, string owner, ReadOnlyMemory<byte> result, ref int redactions)
    {
        result = RedactorFor(server).RedactJson(result, ref redactions);
        var cap = (_servers.TryGet(server, out var entry) ? entry.Definition.Config?.MaxOutputBytes : null) ?? _config.MaxOutputBytes;
        if (cap is not { } bytes)
        {
            return result;
        }
        var full = result;
        return OutputCap.Apply(result, bytes, () => _spill.Store(owner, full.ToArray()));
    }

    /// <summary>Any other answer or an error object from a server: redacted.</summary>
    public ReadOnlyMemory<byte> Redact(string server, ReadOnlyMemory<byte> json, ref int redactions) =>
        RedactorFor(server).RedactJson(json, ref redactions);
}

/// <summary>The result settings of the config the gateway started with.</summary>
internal sealed record InitialResults(ResultsConfig Value);
