namespace MCProxy.Configuration;

/// <summary>
/// A server entry of the file: either valid (<see cref="Config"/> set) or invalid (<see cref="Errors"/> non-empty).
/// An invalid server is not started; /health shows why.
/// </summary>
internal sealed record ServerDefinition(string Name, ServerConfig? Config, IReadOnlyList<ConfigError> Errors)
{
    public bool IsValid => Config is not null;

    public bool Equals(ServerDefinition? other) =>
        other is not null && Name == other.Name && Equals(Config, other.Config) && Errors.SequenceEqual(other.Errors);

    public override int GetHashCode() => HashCode.Combine(Name, Config);
}
