namespace MCProxy.Gateway;

/// <summary>
/// A shared allowance of bytes (e.g. all request bodies being read at once). Reservations either fit whole or fail;
/// nothing blocks. Thread-safe.
/// </summary>
internal sealed class ByteBudget(long capacity)
{
    private long _used;

    public long Capacity { get; } = capacity;

    public long Used => Interlocked.Read(ref _used);

    public bool TryReserve(long bytes)
    {
        while (true)
        {
            var used = Interlocked.Read(ref _used);
            if (used + bytes > Capacity)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _used, used + bytes, used) == used)
            {
                return true;
            }
        }
    }

    public void Release(long bytes) => Interlocked.Add(ref _used, -bytes);
}
