using MCProxy.Supervision;

namespace MCProxy.Tests.Supervision;

public sealed class ChildUsageTests
{
    [Fact]
    public void OurOwnProcess_HasResidentMemoryAndCpuTime_AndAMissingPidIsNull()
    {
        var usage = ChildUsage.Of(Environment.ProcessId);
        Assert.NotNull(usage);
        Assert.True(usage.Value.RssBytes > 10 * 1024 * 1024, $"{usage.Value.RssBytes} bytes");
        Assert.True(usage.Value.CpuSeconds > 0);
        Assert.True(usage.Value.Processes >= 1);
        Assert.Null(ChildUsage.Of(int.MaxValue - 7));
    }
}
