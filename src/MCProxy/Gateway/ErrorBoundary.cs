using MCProxy.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MCProxy.Gateway;

/// <summary>
/// The last resort of every front door: input Kestrel itself finds malformed (a broken chunked body, a bad header)
/// gets its 4xx with a JSON-RPC error body instead of an empty 500; any other escaped exception is logged and
/// answered -32603, and the request never takes the process with it.
/// </summary>
internal static partial class ErrorBoundary
{
    public static IApplicationBuilder UseErrorBoundary(this IApplicationBuilder app, ILogger logger) =>
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (BadHttpRequestException ex)
            {
                if (!context.Response.HasStarted)
                {
                    context.Response.Clear();
                    await HttpIo.WriteErrorAsync(context, ex.StatusCode, JsonRpcErrorCodes.ParseError,
                        $"Bad Request: {ex.Message}").ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
            {
                // The client went away mid-request; there is nobody to answer.
            }
            catch (Exception ex)
            {
                LogUnhandled(logger, context.Request.Method, context.Request.Path, ex);
                if (!context.Response.HasStarted)
                {
                    context.Response.Clear();
                    await HttpIo.WriteErrorAsync(context, StatusCodes.Status500InternalServerError, JsonRpcErrorCodes.InternalError,
                        "Internal error: the gateway failed on this request; it is logged").ConfigureAwait(false);
                }
                else
                {
                    context.Abort();
                }
            }
        });

    [LoggerMessage(EventId = 520, Level = LogLevel.Error, Message = "{Method} {Path} failed unexpectedly")]
    private static partial void LogUnhandled(ILogger logger, string method, string path, Exception exception);
}
