namespace MCProxy.Supervision;

/// <summary>Where a server stands. Serialised lower-case in /health.</summary>
internal enum ServerState
{
    Starting,
    Ready,
    Restarting,
    Failed,
    Disabled,
    Invalid,
    Stopped,
}
