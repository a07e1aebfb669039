using MCProxy.Configuration;
using Microsoft.Extensions.Hosting;

namespace MCProxy.Gateway;

/// <summary>What every HTTP front door needs, resolved once at map time instead of per request.</summary>
internal sealed record GatewayContext(
    McpDispatcher Dispatcher,
    SessionRegistry Sessions,
    GatewayOptions Options,
    TimeProvider Time,
    IHostApplicationLifetime Lifetime,
    OriginGuard Guard,
    ByteBudget BodyBudget)
{
    public GatewayLimits Limits => Options.Limits;
}
