namespace MCProxy.Configuration;

/// <summary>
/// A whole config file that passed file-level validation (its servers may still be individually invalid).
/// <see cref="Auth"/> is null when the file has no <c>auth</c> section: the gateway then serves everyone.
/// </summary>
internal sealed record GatewayConfig(IReadOnlyList<ServerDefinition> Servers, AuthConfig? Auth = null, AuditConfig? Audit = null)
{
    public static readonly GatewayConfig Empty = new([]);

    /// <summary>Output cap, redaction and spill for every server (a server's own settings override).</summary>
    public ResultsConfig Results { get; init; } = ResultsConfig.Default;

    /// <summary>Gateway-wide progressive disclosure (roles and identities may override; so may <c>?tools=</c>).</summary>
    public DisclosureConfig Disclosure { get; init; } = DisclosureConfig.Default;

    /// <summary>Top-level <c>"broadcast": true</c>: tools that call the same tool on several servers at once.</summary>
    public bool Broadcast { get; init; }

    public bool Equals(GatewayConfig? other) => other is not null && Servers.SequenceEqual(other.Servers);

    public override int GetHashCode() => Servers.Count;
}
