using MCProxy.Protocol;
using MCProxy.Upstreams;

namespace MCProxy.Supervision;

/// <summary>
/// Turns a child's list_changed notifications into re-lists of exactly the lists they name.
/// NOTE 1: bursts (server-everything sends several in a row at start) coalesce into one re-list per kind: each
/// notification sets its kinds' bits; only a notification that finds no bit set arms a refresh, and the armed
/// refresh takes every bit set by the end of its debounce.
/// </summary>
internal sealed class ListRefresher(TimeSpan debounce, TimeProvider time)
{
    private int _scheduled;

    /// <summary>One bit per <see cref="ListKind.All"/> entry whose list <paramref name="method"/> announces; 0 for other methods.</summary>
    public static int KindsOf(string? method)
    {
        var kinds = 0;
        for (var i = 0; i < ListKind.All.Count; i++)
        {
            if (ListKind.All[i].ChangedNotification == method)
            {
                kinds |= 1 << i;
            }
        }
        return kinds;
    }

    /// <summary>Marks kinds as changed; true when this call armed a refresh (the caller then runs <see cref="RefreshAsync"/>).</summary>
    public bool Mark(int kinds) => kinds != 0 && Interlocked.Or(ref _scheduled, kinds) == 0;

    /// <summary>
    /// Waits out the debounce, then re-lists every marked kind with <paramref name="list"/>; returns the new lists.
    /// On failure the marks are dropped: the child went away, and its next start lists everything anyway.
    /// </summary>
    public async Task<IReadOnlyList<(ListKind Kind, IReadOnlyList<UpstreamTool> Items)>?> RefreshAsync(
        Func<ListKind, CancellationToken, Task<IReadOnlyList<UpstreamTool>>> list, CancellationToken ct)
    {
        try
        {
            await Task.Delay(debounce, time, ct).ConfigureAwait(false);
            var kinds = Interlocked.Exchange(ref _scheduled, 0);
            var updates = new List<(ListKind, IReadOnlyList<UpstreamTool>)>();
            for (var i = 0; i < ListKind.All.Count; i++)
            {
                if ((kinds & (1 << i)) != 0)
                {
                    updates.Add((ListKind.All[i], await list(ListKind.All[i], ct).ConfigureAwait(false)));
                }
            }
            return updates;
        }
        catch (Exception ex) when (ex is UpstreamUnavailableException or UpstreamTimeoutException or UpstreamProtocolException
                                       or OperationCanceledException)
        {
            Volatile.Write(ref _scheduled, 0);
            return null;
        }
    }
}
