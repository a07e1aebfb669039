using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace MCProxy.Gateway;

/// <summary>Body reading with a size limit, and the response shapes every endpoint shares.</summary>
internal static class HttpIo
{
    /// <summary>
    /// Reads the request body; null after answering 413 when it exceeds <paramref name="maxBytes"/>, or 400 when the
    /// body is malformed on the wire (a broken chunked encoding, a body shorter than its Content-Length).
    /// NOTE 1: the buffer grows with what really arrives, never from the declared Content-Length: a client that
    /// declares 4 MiB and sends four bytes costs a few KiB, not 4 MiB (a hundred of them once ran a 384 MiB heap dry).
    /// </summary>
    public static async Task<byte[]?> ReadBodyAsync(HttpContext context, long maxBytes, ByteBudget budget)
    {
        var request = context.Request;
        if (request.ContentLength > maxBytes)
        {
            await WriteTooLarge(context, maxBytes).ConfigureAwait(false);
            return null;
        }
        var buffer = new byte[(int)Math.Min(InitialBodyBuffer, Math.Max(1, request.ContentLength ?? InitialBodyBuffer))];
        var filled = 0;
        long reserved = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    if (buffer.Length >= maxBytes)
                    {
                        // One byte more than allowed means the body is too large.
                        var probe = new byte[1];
                        if (await request.Body.ReadAsync(probe, context.RequestAborted).ConfigureAwait(false) == 0)
                        {
                            return buffer;
                        }
                        await WriteTooLarge(context, maxBytes).ConfigureAwait(false);
                        return null;
                    }
                    var grown = (int)Math.Min(maxBytes, buffer.Length * 2L);
                    // NOTE 2: only bodies past the first buffer count: small requests never touch the shared budget.
                    if (!budget.TryReserve(grown))
                    {
                        await WriteBusyAsync(context, "too many large request bodies are being received at once").ConfigureAwait(false);
                        return null;
                    }
                    budget.Release(reserved);
                    reserved = grown;
                    Array.Resize(ref buffer, grown);
                }
                var n = await request.Body.ReadAsync(buffer.AsMemory(filled), context.RequestAborted).ConfigureAwait(false);
                if (n == 0)
                {
                    return filled == buffer.Length ? buffer : buffer[..filled];
                }
                filled += n;
            }
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's word for a body that breaks HTTP framing (chunk size overflow, truncated body, too large).
            if (!context.Response.HasStarted)
            {
                await WriteErrorAsync(context, ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? ex.StatusCode : StatusCodes.Status400BadRequest,
                    Protocol.JsonRpcErrorCodes.ParseError, $"Parse error: the request body is malformed ({ex.Message})").ConfigureAwait(false);
            }
            return null;
        }
        catch (IOException ex) when (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
        {
            // Kestrel reports some framing errors as plain IOException ("Bad chunk size data." with an overflow inside).
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, Protocol.JsonRpcErrorCodes.ParseError,
                $"Parse error: the request body is malformed ({ex.Message})").ConfigureAwait(false);
            return null;
        }
        finally
        {
            budget.Release(reserved);
        }
    }

    /// <summary>503 with Retry-After and a JSON-RPC error body: a bound was reached, the client may try again soon.</summary>
    public static Task WriteBusyAsync(HttpContext context, string why)
    {
        context.Response.Headers.RetryAfter = "1";
        return WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, Protocol.JsonRpcErrorCodes.ServerError,
            $"Service Unavailable: {why}; retry later");
    }

    private const int InitialBodyBuffer = 16 * 1024;

    public static Task WriteJsonAsync(HttpContext context, int status, byte[] body)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    public static Task WriteErrorAsync(HttpContext context, int status, int code, string message) =>
        WriteJsonAsync(context, status, Protocol.JsonRpcWriter.Error(default, code, message));

    public static void Accepted(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
    }

    /// <summary>Starts an unbuffered text/event-stream response.</summary>
    public static Task StartEventStreamAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache,no-store";
        response.Headers.ContentEncoding = "identity";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        return response.Body.FlushAsync(context.RequestAborted);
    }

    private static Task WriteTooLarge(HttpContext context, long maxBytes) =>
        WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, Protocol.JsonRpcErrorCodes.InvalidRequest,
            $"request body larger than {maxBytes} bytes");
}
