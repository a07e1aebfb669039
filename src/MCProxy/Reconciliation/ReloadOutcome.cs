using MCProxy.Configuration;

namespace MCProxy.Reconciliation;

/// <summary>What one reload did: the plan applied, or the errors that kept the last good config running.</summary>
internal sealed record ReloadOutcome(ReconcilePlan? Plan, IReadOnlyList<ConfigError> Errors)
{
    public bool Applied => Plan is not null;
}
