using MCProxy.Configuration;

namespace MCProxy.Reconciliation;

/// <summary>What one reconcile does. Names not mentioned in any list are untouched.</summary>
internal sealed record ReconcilePlan(
    IReadOnlyList<ServerDefinition> Add,
    IReadOnlyList<string> Remove,
    IReadOnlyList<ServerDefinition> Restart,
    IReadOnlyList<string> Unchanged,
    IReadOnlyList<ServerDefinition> InvalidKept)
{
    public bool IsEmpty => Add.Count == 0 && Remove.Count == 0 && Restart.Count == 0 && InvalidKept.Count == 0;

    /// <summary>The one-line summary logged per reconcile.</summary>
    public string Summary() =>
        $"+{Add.Count} added{List(Add.Select(d => d.Name))}, -{Remove.Count} removed{List(Remove)}, " +
        $"~{Restart.Count} restarted{List(Restart.Select(d => d.Name))}, {Unchanged.Count + InvalidKept.Count} unchanged" +
        (InvalidKept.Count > 0 ? $" ({InvalidKept.Count} kept on their last good config: {string.Join(", ", InvalidKept.Select(d => d.Name))})" : "");

    private static string List(IEnumerable<string> names)
    {
        var all = names.ToArray();
        return all.Length == 0 ? "" : $" ({string.Join(", ", all)})";
    }
}
