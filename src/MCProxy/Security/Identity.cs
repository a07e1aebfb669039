namespace MCProxy.Security;

/// <summary>Who is calling: the identity's configured name and its compiled policy.</summary>
internal sealed record Identity(string Name, AccessPolicy Policy)
{
    /// <summary>This identity's (or its role's, or this connection's <c>?tools=</c>) disclosure; null: the gateway's.</summary>
    public Configuration.DisclosureConfig? Disclosure { get; init; }

    /// <summary>Everyone, when the config has no <c>auth</c> section.</summary>
    public static readonly Identity Open = new("anonymous", AccessPolicy.AllowAll);

    /// <summary>
    /// The door a sessionless request came in by, for its audit record ("rest"); null for the plain JSON-RPC POST.
    /// A session's own transport names the door when there is one.
    /// </summary>
    public string? Door { get; init; }
}
