using MCProxy.Configuration;
using Microsoft.Extensions.Logging;

namespace MCProxy.Supervision;

/// <summary>Creates supervisors with the shared options, clock and logger; the seam tests use to shorten timings.</summary>
internal sealed class SupervisorFactory(SupervisorOptions options, TimeProvider time, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("MCProxy.Supervision");

    /// <summary>Set by the relay so children's notifications reach downstream sessions.</summary>
    public Action<ServerSupervisor, Protocol.JsonRpcMessage>? NotificationSink { get; set; }

    /// <summary>Set by the relay so children's server→client requests reach the calling client.</summary>
    public Func<ServerSupervisor, Protocol.JsonRpcMessage, Task<byte[]>>? RequestHandler { get; set; }

    public ServerSupervisor Create(ServerConfig config) =>
        new(config, options, time, _logger) { NotificationSink = NotificationSink, RequestHandler = RequestHandler };
}
