using MCProxy.Configuration;
using MCProxy.Supervision;
using static MCProxy.Supervision.NativeMethods;

namespace MCProxy.Tests.Supervision;

/// <summary>cpuSeconds and openFiles set on a real child at start, and how a broken limit is worded.</summary>
public sealed class ChildRlimitsTests
{
    private static ChildProcess Sleep(ChildLimits limits) =>
        ChildProcess.Start("sleep", ["30"], new Dictionary<string, string>(), null, "-", limits: limits);

    [Fact]
    public async Task Start_WithLimits_TheChildHasThemBeforeStartReturns()
    {
        using var child = Sleep(new ChildLimits(CpuSeconds: 100, OpenFiles: 64));
        try
        {
            Assert.Equal(new RLimit { Soft = 64, Hard = 64 }, ChildRlimits.Get(child.Pid, RLIMIT_NOFILE));
            Assert.Equal(new RLimit { Soft = 100, Hard = 105 }, ChildRlimits.Get(child.Pid, RLIMIT_CPU));
        }
        finally
        {
            child.SignalGroupAlways(SIGKILL);
            await child.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        }
        Assert.NotNull(child.CpuSeconds);
    }

    [Fact]
    public void Start_LimitTheKernelRefuses_ThrowsNamingTheField()
    {
        // Past /proc/sys/fs/nr_open (1048576 by default): refused even with CAP_SYS_RESOURCE.
        var ex = Assert.Throws<IOException>(() => Sleep(new ChildLimits(OpenFiles: int.MaxValue)));
        Assert.Contains("\"limits.openFiles\": 2147483647", ex.Message);
    }

    [Fact]
    public void Memory_OverTheLimit_NamesMemoryMBAndTheRss()
    {
        var limits = new ChildLimits(MemoryMB: 512);
        Assert.Null(LimitBreach.Memory(new ChildUsage(512L * 1024 * 1024, 1, 2), limits));
        Assert.Null(LimitBreach.Memory(new ChildUsage(long.MaxValue, 1, 2), ChildLimits.None));
        Assert.Equal("restarted: its processes used 612 MiB, over \"limits.memoryMB\": 512",
            LimitBreach.Memory(new ChildUsage(612L * 1024 * 1024 + 5, 1, 3), limits));
    }

    [Theory]
    [InlineData(152, 0.9, "stopped by the kernel (SIGXCPU): it used up its CPU time, \"limits.cpuSeconds\": 1")]
    [InlineData(137, 6.01, "stopped by the kernel (SIGKILL): it used up its CPU time, \"limits.cpuSeconds\": 1")]
    [InlineData(137, 0.2, null)] // killed by someone else
    [InlineData(1, 5.0, null)]
    [InlineData(null, 5.0, null)]
    public void Cpu_KilledByRlimitCpu_NamesCpuSeconds(int? exitCode, double cpuSeconds, string? expected)
    {
        Assert.Equal(expected, LimitBreach.Cpu(exitCode, cpuSeconds, new ChildLimits(CpuSeconds: 1)));
        Assert.Null(LimitBreach.Cpu(exitCode, cpuSeconds, ChildLimits.None));
    }
}
