namespace MCProxy.Supervision;

/// <summary>
/// The environment a child starts with: the gateway's own, minus what belongs to the gateway's service manager,
/// (or, with <c>inheritEnv: false</c>, only <see cref="Essentials"/> of it, so no child sees another's secrets),
/// plus the server's <c>env</c>, plus a marker that finds the child's descendants even after they leave its
/// process group (see <see cref="OrphanReaper"/>).
/// </summary>
internal static class ChildEnvironment
{
    /// <summary>The variable that carries the marker; descendants inherit it.</summary>
    public const string MarkerVariable = "MCPROXY_CHILD";

    /// <summary>
    /// Addressed to the gateway's process alone: with NOTIFY_SOCKET a child could tell systemd READY/STOPPING or
    /// feed the watchdog in the gateway's name, and the LISTEN_* pair would hand it our sockets.
    /// </summary>
    public static readonly IReadOnlyList<string> ServiceManagerVariables =
        ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "INVOCATION_ID", "JOURNAL_STREAM"];

    /// <summary>The gateway's own secrets in its environment: the key that seals multi-round-trip request states.</summary>
    public static readonly IReadOnlyList<string> GatewaySecrets = ["MCPROXY_STATE_KEY"];

    /// <summary>What a child with <c>inheritEnv: false</c> still gets from the gateway's environment.</summary>
    public static readonly IReadOnlyList<string> Essentials = ["PATH", "HOME", "LANG", "TZ", "TMPDIR", "USER"];

    public static Dictionary<string, string> Build(System.Collections.IDictionary inherited, IReadOnlyDictionary<string, string> extra, string marker,
        bool inheritAll = true)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in inherited)
        {
            var name = (string)e.Key;
            if (inheritAll || Essentials.Contains(name))
            {
                environment[name] = (string?)e.Value ?? "";
            }
        }
        foreach (var name in ServiceManagerVariables.Concat(GatewaySecrets))
        {
            environment.Remove(name);
        }
        foreach (var kv in extra)
        {
            environment[kv.Key] = kv.Value;
        }
        environment[MarkerVariable] = marker;
        return environment;
    }
}
