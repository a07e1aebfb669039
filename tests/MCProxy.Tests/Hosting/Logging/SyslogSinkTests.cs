using MCProxy.Configuration;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MCProxy.Hosting.Logging;
using Serilog;

namespace MCProxy.Tests.Hosting.Logging;

/// <summary>The sink against real sockets: a unix datagram socket like /dev/log, and a TCP listener.</summary>
public sealed class SyslogSinkTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mcproxy-syslog-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task UnixDatagram_ReceivesFramedMessagesWithServerTagAndEventName()
    {
        var path = Path.Combine(_dir, "log.sock");
        using var receiver = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        receiver.Bind(new UnixDomainSocketEndPoint(path));
        using (var logger = new LoggerConfiguration().WriteTo.Sink(new SyslogSink(new SyslogOptions { Target = "unix://" + path })).CreateLogger())
        {
            logger.ForContext("Server", "memory").ForContext("EventId", new { Id = 106, Name = "LogStderr" }, destructureObjects: true)
                .Warning("[{Server}] stderr: {Line}", "memory", "hello");
        }
        var buffer = new byte[8192];
        var n = await receiver.ReceiveAsync(buffer).WaitAsync(TimeSpan.FromSeconds(5));
        var line = Encoding.UTF8.GetString(buffer, 0, n);
        Assert.StartsWith("<28>1 ", line);
        Assert.Contains($" mcproxy {Environment.ProcessId} LogStderr [mcproxy@32473 server=\"memory\"] [memory] stderr: hello", line);
    }

    [Fact]
    public async Task Tcp_UsesOctetCounting()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using (var logger = new LoggerConfiguration().WriteTo.Sink(new SyslogSink(new SyslogOptions { Target = $"tcp://127.0.0.1:{port}" })).CreateLogger())
        {
            logger.Information("first");
            logger.Information("second");
        }
        using var client = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(5));
        var text = await new StreamReader(client.GetStream()).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(5));
        listener.Stop();
        var first = text.IndexOf(' ');
        var length = int.Parse(text[..first]);
        Assert.EndsWith("first", text.Substring(first + 1, length));
        var rest = text[(first + 1 + length)..];
        Assert.EndsWith("second", rest[(rest.IndexOf(' ') + 1)..]);
    }

    [Fact]
    public void MissingSocket_DropsWithARateLimitedWarningAndNeverThrows()
    {
        var warnings = new StringWriter();
        var sink = new SyslogSink(new SyslogOptions { Target = "unix://" + Path.Combine(_dir, "absent.sock") }, TextWriter.Synchronized(warnings));
        using (var logger = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger())
        {
            for (var i = 0; i < 50; i++)
            {
                logger.Information("lost {N}", i);
            }
        }
        Assert.Equal(50, sink.Dropped);
        var lines = warnings.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("syslog: dropped", lines[0]);
    }
}
