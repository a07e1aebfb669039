namespace MCProxy.Configuration;

/// <summary>What /health says about the config file: where it is, whether the last read was good, and when.</summary>
internal sealed class ConfigState
{
    private volatile Snapshot _current;

    public ConfigState(string path, DateTimeOffset loadedAt) => _current = new Snapshot(path, loadedAt, []);

    public Snapshot Current => _current;

    public void MarkGood(DateTimeOffset at) => _current = _current with { LastGoodAt = at, Errors = [] };

    public void MarkInvalid(IReadOnlyList<ConfigError> errors) => _current = _current with { Errors = errors };

    internal sealed record Snapshot(string Path, DateTimeOffset LastGoodAt, IReadOnlyList<ConfigError> Errors)
    {
        public bool IsValid => Errors.Count == 0;
    }
}
