using MCProxy.Configuration;
using Microsoft.Extensions.Logging;

namespace MCProxy.Supervision;

/// <summary>Creates supervisors with the shared options, clock, handlers and logger; the seam tests use to shorten timings.</summary>
internal sealed class SupervisorFactory(SupervisorOptions options, TimeProvider time, UpstreamHandlers handlers, OrphanReaper reaper,
    ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("MCProxy.Supervision");

    public ServerSupervisor Create(ServerConfig config) => new(config, options, time, _logger, handlers, reaper);
}
