using MCProxy.Gateway;
using MCProxy.Protocol;
using MCProxy.Reconciliation;
using MCProxy.Security;
using MCProxy.Supervision;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MCProxy.Admin;

/// <summary>
/// The CLI's way into the running daemon: <c>/admin/status</c>, <c>/admin/logs</c>, <c>/admin/servers/{name}/restart</c>
/// and <c>/admin/call/{tool}</c>, served only on the admin unix socket.
/// NOTE 1: the socket is the only credential. Its file mode (0660) and directory decide who may connect, so
/// <see cref="UseAdminDoor"/> keeps the two doors apart both ways: /admin/* answers 404 on the TCP port, and the
/// socket answers nothing but /admin/*. A tool call through it runs as the identity <c>admin</c> with every tool
/// allowed, and is audited with the door <c>admin</c>.
/// </summary>
internal static class AdminEndpoints
{
    public const string Prefix = "/admin";

    private static readonly Identity Admin = new("admin", AccessPolicy.AllowAll) { Door = "admin" };

    /// <summary>
    /// Whether this request came in on the admin socket. Kestrel gives a unix-domain connection no IP address at
    /// either end (its HttpContext does not expose the connection's endpoint feature); every TCP connection has both.
    /// </summary>
    public static bool OnSocket(HttpContext context) =>
        context.Connection.LocalIpAddress is null && context.Connection.RemoteIpAddress is null;

    public static IApplicationBuilder UseAdminDoor(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        if (OnSocket(context) != context.Request.Path.StartsWithSegments(Prefix))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }
        return next(context);
    });

    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        var services = app.ServiceProvider;
        var servers = services.GetRequiredService<ServerRegistry>();
        var options = services.GetRequiredService<Configuration.GatewayOptions>();
        var results = services.GetRequiredService<Output.ResultFilter>();
        var server = services.GetRequiredService<IServer>();
        var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var time = services.GetRequiredService<TimeProvider>();
        var reconciler = services.GetRequiredService<Reconciler>();
        var dispatcher = services.GetRequiredService<McpDispatcher>();
        var status = new AdminStatus(options, servers, services.GetRequiredService<SessionRegistry>(),
            services.GetRequiredService<Health.GatewayReadiness>(), services.GetRequiredService<Configuration.ConfigState>(),
            services.GetRequiredService<ReconcileLoop>(), services.GetRequiredService<Authenticator>(),
            services.GetRequiredService<AdminSocket>(),
            () => server.Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [], time);
        var logs = new AdminLogs(servers, (name, line) =>
        {
            var count = 0;
            return results.RedactorFor(name).Redact(line, ref count);
        }, time);
        // Bodies here are tool arguments: held to the same --max-body as every door, with a budget of their own.
        var budget = new ByteBudget(options.Limits.MaxBodyBytes * 4);

        app.MapGet(Prefix + "/status", context =>
        {
            context.Response.Headers.CacheControl = "no-store";
            return HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK, status.Build());
        });
        app.MapGet(Prefix + "/logs", context =>
        {
            var query = context.Request.Query;
            var name = query["server"].ToString() is { Length: > 0 } n ? n : null;
            var follow = query["follow"].ToString() is "1" or "true";
            return logs.WriteAsync(context, name, follow, stopping);
        });
        app.MapPost(Prefix + "/servers/{name}/restart", async context =>
        {
            var name = (string)context.GetRouteValue("name")!;
            switch (await reconciler.RestartAsync(name, context.RequestAborted).ConfigureAwait(false))
            {
                case RestartOutcome.NotFound:
                    await ProblemAsync(context, StatusCodes.Status404NotFound, $"no server '{name}': mcproxy servers list shows the names").ConfigureAwait(false);
                    return;
                case RestartOutcome.NotRunning:
                    await ProblemAsync(context, StatusCodes.Status409Conflict,
                        $"server '{name}' is not running (disabled or invalid): mcproxy servers enable {name}, or mcproxy check to see its problems").ConfigureAwait(false);
                    return;
            }
            servers.TryGet(name, out var entry);
            await HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK, status.BuildServer(entry)).ConfigureAwait(false);
        });
        app.MapPost(Prefix + "/call/{name}", async context =>
        {
            if (await HttpIo.ReadBodyAsync(context, options.Limits.MaxBodyBytes, budget).ConfigureAwait(false) is not { } body)
            {
                return;
            }
            if (Gateway.Rest.RestRequest.ToolsCall((string)context.GetRouteValue("name")!, body, out var problem) is not { } request)
            {
                await HttpIo.WriteJsonAsync(context, problem!.Value.Status, problem.Value.Body).ConfigureAwait(false);
                return;
            }
            var message = JsonRpcMessage.Parse(request);
            var answer = await dispatcher.HandleAsync(message, null, Admin, context.RequestAborted).ConfigureAwait(false);
            await HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK, answer ?? "{}"u8.ToArray()).ConfigureAwait(false);
        });
        return app;
    }

    /// <summary>An error answer the CLI prints as it is: one line that names the fix.</summary>
    public static Task ProblemAsync(HttpContext context, int status, string message) =>
        HttpIo.WriteJsonAsync(context, status, JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WriteString("error"u8, message);
            w.WriteEndObject();
        }));
}
