namespace MCProxy.Health;

/// <summary>Set once every server's first start attempt has settled (ready, or failed that attempt).</summary>
internal sealed class GatewayReadiness
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsReady => _ready.Task.IsCompleted;

    public Task WhenReady => _ready.Task;

    public void MarkReady() => _ready.TrySetResult();
}
