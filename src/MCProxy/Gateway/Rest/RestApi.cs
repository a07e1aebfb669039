using MCProxy.Aggregation;
using MCProxy.Security;
using MCProxy.Supervision;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MCProxy.Gateway.Rest;

/// <summary>
/// The REST door for scripts that do not speak MCP: list servers and tools, call a tool with its arguments as the
/// body. NOTE 1: every route is admitted like the MCP doors (<see cref="GatewayContext.Door"/>: Host/Origin guard,
/// then auth), and a call is a JSON-RPC <c>tools/call</c> run through the same dispatcher with no session, so policy,
/// audit, rate limit and whatever the dispatcher does to results hold here unchanged.
/// </summary>
internal sealed partial class RestApi(GatewayContext gateway, CatalogPublisher catalog, ServerRegistry servers, Authenticator authenticator,
    string separator)
{
    private readonly byte[] _openApi = OpenApiDocument.Build();

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet(RestRoutes.Servers, gateway.Door(ServersAsync));
        app.MapGet(RestRoutes.Tools, gateway.Door(ToolsAsync));
        app.MapPost(RestRoutes.CallTool, gateway.Door(CallToolAsync));
        app.MapPost(RestRoutes.Broadcast, gateway.Door(BroadcastAsync));
        app.MapGet(RestRoutes.OpenApi, gateway.Door(context => HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK, _openApi)));
    }

    /// <summary>
    /// Every server as <c>/health</c> shows it to the same caller: everything (errors, stderr tail) when the caller
    /// was authenticated or is on loopback, else states and counts (those texts can carry a child's secrets).
    /// </summary>
    private Task ServersAsync(HttpContext context)
    {
        var details = authenticator.IsEnabled || Security.LocalCaller.Is(context);
        var body = Protocol.JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("servers"u8);
            foreach (var entry in servers.Entries)
            {
                ServerStatusWriter.Write(w, entry, details ? StatusDetail.Full : StatusDetail.StatesOnly);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
        context.Response.Headers.CacheControl = "no-store";
        return HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK, body);
    }

    /// <summary>The tools the caller's tools/list would show, with each one's server and tags; <c>?tag=</c> narrows by server tag.</summary>
    private Task ToolsAsync(HttpContext context)
    {
        var tags = servers.Entries.ToDictionary(e => e.Name, e => e.Definition.Config?.Shape.Tags ?? [], StringComparer.Ordinal);
        var body = RestToolList.Write(catalog.Current.Tools, AuthGate.Of(context).Policy,
            server => tags.TryGetValue(server, out var t) ? t : [], context.Request.Query["tag"].OfType<string>().ToArray());
        context.Response.Headers.CacheControl = "no-store";
        return HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK, body);
    }
}
