using MCProxy.Configuration;

namespace MCProxy.Supervision;

/// <summary>
/// The long-lived holder of one named server (the XState layer): the definition in force, its supervisor when it
/// runs, and errors of a newer edit that could not be applied (the last good instance keeps running meanwhile).
/// </summary>
internal sealed class ServerEntry
{
    public ServerEntry(ServerDefinition definition, int order, ServerSupervisor? supervisor)
    {
        Definition = definition;
        Order = order;
        Supervisor = supervisor;
    }

    /// <summary>The definition in force; replaced in place only by an edit that needs no restart (a tool filter).</summary>
    public ServerDefinition Definition { get; set; }

    /// <summary>Position in the config file, for a stable listing order.</summary>
    public int Order { get; set; }

    public ServerSupervisor? Supervisor { get; }

    /// <summary>Errors of the latest edit of this server that was not applied (null when none).</summary>
    public IReadOnlyList<ConfigError>? PendingErrors { get; set; }

    public string Name => Definition.Name;

    public ServerState State => Supervisor?.Status.State
                                ?? (!Definition.IsValid ? ServerState.Invalid : ServerState.Disabled);
}
