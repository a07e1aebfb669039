namespace MCProxy.FunctionalTests.Infrastructure;

/// <summary>Whether a pid is still a live process (a zombie waiting to be reaped counts as gone).</summary>
internal static class ProcessProbe
{
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static async Task<bool> AllGoneAsync(IEnumerable<int> pids, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        var list = pids.ToList();
        while (list.Any(IsAlive))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(20);
        }
        return true;
    }
}
