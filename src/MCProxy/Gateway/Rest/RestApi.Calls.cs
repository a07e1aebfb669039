using MCProxy.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MCProxy.Gateway.Rest;

/// <summary><c>POST /api/tools/{name}</c> and <c>POST /api/broadcast/{tool}</c>: the body is the arguments, the answer the tool result.</summary>
internal sealed partial class RestApi
{
    private Task CallToolAsync(HttpContext context) => CallAsync(context, (string)context.GetRouteValue("name")!, broadcastOf: null);

    /// <summary>A broadcast is the exposed tool <c>broadcast{separator}{tool}</c> (top-level <c>"broadcast": true</c>), called like any other.</summary>
    private Task BroadcastAsync(HttpContext context)
    {
        var tool = (string)context.GetRouteValue("tool")!;
        return CallAsync(context, $"broadcast{separator}{tool}", broadcastOf: tool);
    }

    private async Task CallAsync(HttpContext context, string name, string? broadcastOf)
    {
        // The body is bounded like every door's (--max-body, read as it arrives, counted against the shared budget).
        if (await HttpIo.ReadBodyAsync(context, gateway.Limits.MaxBodyBytes, gateway.BodyBudget).ConfigureAwait(false) is not { } body)
        {
            return;
        }
        if (RestRequest.ToolsCall(name, body, out var problem) is not { } message)
        {
            await WriteAsync(context, problem!.Value).ConfigureAwait(false);
            return;
        }
        var identity = AuthGate.Of(context) with { Door = RestRoutes.Door };
        var batch = MessageBatch.Parse(message);
        if (!await gateway.AdmitAsync(context, batch, identity).ConfigureAwait(false))
        {
            return;
        }
        // NOTE 1: known before the call, so "not in the catalogue" (404) is told apart from a tool that refused its arguments (400).
        var known = catalog.Current.Tools.Routes.ContainsKey(name);
        var answer = await gateway.Dispatcher.HandleAsync(batch.Messages[0], null, identity, context.RequestAborted).ConfigureAwait(false);
        await WriteAsync(context, RestAnswer.From(answer, known, name, broadcastOf)).ConfigureAwait(false);
    }

    private static Task WriteAsync(HttpContext context, RestAnswer answer)
    {
        context.Response.Headers.CacheControl = "no-store";
        return HttpIo.WriteJsonAsync(context, answer.Status, answer.Body);
    }
}
