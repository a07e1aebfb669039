using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MCProxy.Admin;

/// <summary>Says where the admin socket is (or why there is none), restricts it once bound, removes it at stop.</summary>
internal sealed partial class AdminSocketService(AdminSocket socket, IHostApplicationLifetime lifetime, ILogger<AdminSocketService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!socket.Listens)
        {
            LogNoSocket(logger, socket.Problem!);
            return Task.CompletedTask;
        }
        // Kestrel binds when the server starts, after the hosted services' StartAsync: restrict the file once it exists.
        lifetime.ApplicationStarted.Register(() =>
        {
            try
            {
                socket.Restrict();
                LogListening(logger, socket.Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogNoSocket(logger, $"cannot set the mode of {socket.Path}: {ex.Message}");
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (socket.Listens)
        {
            socket.Remove();
        }
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Information, Message = "admin API on unix socket {Path} (mcproxy status, logs, servers …)")]
    private static partial void LogListening(ILogger logger, string path);

    [LoggerMessage(EventId = 901, Level = LogLevel.Warning, Message = "no admin socket: {Problem}")]
    private static partial void LogNoSocket(ILogger logger, string problem);
}
