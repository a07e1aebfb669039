namespace MCProxy.Configuration;

/// <summary>A whole config file that passed file-level validation (its servers may still be individually invalid).</summary>
internal sealed record GatewayConfig(IReadOnlyList<ServerDefinition> Servers)
{
    public static readonly GatewayConfig Empty = new([]);

    public bool Equals(GatewayConfig? other) => other is not null && Servers.SequenceEqual(other.Servers);

    public override int GetHashCode() => Servers.Count;
}
