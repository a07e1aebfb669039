using MCProxy.Security;
using Microsoft.AspNetCore.Http;

namespace MCProxy.Tests.Security;

public class AppendOnlyFileTests
{
    [Fact]
    public async Task TwoWritersOfOneFile_LoseNoLine()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mcproxy-append-{Guid.NewGuid():N}", "audit.jsonl");
        try
        {
            async Task WriteAsync(string who)
            {
                await using var stream = AppendOnlyFile.Open(path);
                for (var i = 0; i < 2000; i++)
                {
                    await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes($"{{\"w\":\"{who}\",\"i\":{i},\"pad\":\"{new string('x', 100)}\"}}\n"));
                }
            }
            await Task.WhenAll(Task.Run(() => WriteAsync("a")), Task.Run(() => WriteAsync("b")));
            var lines = await File.ReadAllLinesAsync(path);
            Assert.Equal(4000, lines.Length);
            Assert.All(lines, l => Assert.StartsWith("{\"w\":", l));
            Assert.Equal(2000, lines.Count(l => l.Contains("\"w\":\"a\"")));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal("640", Convert.ToString((int)File.GetUnixFileMode(path) & 0x1FF, 8));
            }
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Theory]
    [InlineData("127.0.0.1", null, true)]
    [InlineData("::1", null, true)]
    [InlineData("127.0.0.1", "X-Forwarded-For", false)]
    [InlineData("127.0.0.1", "Forwarded", false)]
    [InlineData("10.0.0.5", null, false)]
    public void ALocalCaller_IsLoopbackAndNotProxied(string address, string? header, bool local)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = System.Net.IPAddress.Parse(address);
        if (header is not null)
        {
            context.Request.Headers[header] = "203.0.113.9";
        }
        Assert.Equal(local, LocalCaller.Is(context));
    }
}
