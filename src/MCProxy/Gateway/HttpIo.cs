using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace MCProxy.Gateway;

/// <summary>Body reading with a size limit, and the response shapes every endpoint shares.</summary>
internal static class HttpIo
{
    /// <summary>Reads the request body; null after answering 413 when it exceeds <paramref name="maxBytes"/>.</summary>
    public static async Task<byte[]?> ReadBodyAsync(HttpContext context, long maxBytes)
    {
        var request = context.Request;
        if (request.ContentLength > maxBytes)
        {
            await WriteTooLarge(context, maxBytes).ConfigureAwait(false);
            return null;
        }
        var capacity = request.ContentLength is { } known ? (int)known : 4096;
        var buffer = new byte[capacity];
        var filled = 0;
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
                Array.Resize(ref buffer, (int)Math.Min(maxBytes, buffer.Length * 2L));
            }
            var n = await request.Body.ReadAsync(buffer.AsMemory(filled), context.RequestAborted).ConfigureAwait(false);
            if (n == 0)
            {
                return filled == buffer.Length ? buffer : buffer[..filled];
            }
            filled += n;
        }
    }

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
