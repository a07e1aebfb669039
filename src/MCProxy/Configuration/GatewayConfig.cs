namespace MCProxy.Configuration;

/// <summary>
/// A whole config file that passed file-level validation (its servers may still be individually invalid).
/// <see cref="Auth"/> is null when the file has no <c>auth</c> section: the gateway then serves everyone.
/// </summary>
internal sealed record GatewayConfig(IReadOnlyList<ServerDefinition> Servers, AuthConfig? Auth = null, AuditConfig? Audit = null)
{
    public static readonly GatewayConfig Empty = new([]);

    public bool Equals(GatewayConfig? other) => other is not null && Servers.SequenceEqual(other.Servers);

    public override int GetHashCode() => Servers.Count;
}
