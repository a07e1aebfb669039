using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace MCProxy.Cli;

/// <summary>
/// HTTP over the daemon's admin unix socket. Every failure becomes a <see cref="CliException"/> whose message says
/// what to do: start the daemon, pass <c>--socket</c>, or what the daemon itself answered.
/// </summary>
internal sealed class AdminClient : IDisposable
{
    private readonly HttpClient _http;

    public AdminClient(string socketPath, TimeSpan timeout)
    {
        SocketPath = socketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    // Bare catch (rule 14): the socket is ours to close whatever failed; the error is rethrown.
                    socket.Dispose();
                    throw;
                }
            },
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://mcproxy"), Timeout = timeout };
    }

    public string SocketPath { get; }

    /// <summary>GET; the body as a document. Throws when the daemon cannot be reached or answers an error.</summary>
    public async Task<JsonDocument> GetAsync(string path, CancellationToken ct)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, path), HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        return await ReadAsync(response, ct).ConfigureAwait(false);
    }

    /// <summary>The daemon's status, or null when no daemon answers on the socket (other failures still throw).</summary>
    public async Task<JsonDocument?> TryStatusAsync(CancellationToken ct)
    {
        try
        {
            return await GetAsync("/admin/status", ct).ConfigureAwait(false);
        }
        catch (CliException) when (!Reachable)
        {
            return null;
        }
    }

    /// <summary>Whether the last request reached a daemon at all.</summary>
    public bool Reachable { get; private set; } = true;

    public async Task<(int Status, JsonDocument Body)> PostAsync(string path, byte[] body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        return ((int)response.StatusCode, Parse(bytes));
    }

    /// <summary>
    /// An NDJSON stream, one document a line, until the daemon ends it or <paramref name="ct"/> fires. A line is one
    /// stderr line of a child, which the daemon's ring caps at 32 KiB characters.
    /// </summary>
    public async IAsyncEnumerable<JsonDocument> StreamAsync(string path, [EnumeratorCancellation] CancellationToken ct)
    {
        _http.Timeout = Timeout.InfiniteTimeSpan;
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, path), HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            (await ReadAsync(response, ct).ConfigureAwait(false)).Dispose();
        }
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (line.Length > 0)
            {
                yield return JsonDocument.Parse(line);
            }
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken ct)
    {
        try
        {
            Reachable = true;
            return await _http.SendAsync(request, completion, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (ex.InnerException is SocketException or IOException || ex.HttpRequestError == HttpRequestError.ConnectionError)
        {
            Reachable = false;
            var why = ex.InnerException is SocketException { SocketErrorCode: SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported } || !File.Exists(SocketPath)
                ? "no such socket" : ex.InnerException?.Message ?? ex.Message;
            throw new CliException($"no gateway answers on {SocketPath} ({why}): start it (systemctl start mcproxy) or pass --socket PATH");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException($"the gateway on {SocketPath} did not answer within {_http.Timeout.TotalSeconds:0} s: mcproxy doctor, or look at its log");
        }
    }

    private static async Task<JsonDocument> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        var document = Parse(bytes);
        if (!response.IsSuccessStatusCode)
        {
            using (document)
            {
                throw new CliException(ErrorText(document.RootElement) ?? $"the gateway answered {(int)response.StatusCode}");
            }
        }
        return document;
    }

    /// <summary>The message of <c>{"error":"…"}</c> or a JSON-RPC <c>{"error":{"message":"…"}}</c>.</summary>
    public static string? ErrorText(JsonElement root) =>
        root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("error", out var error) ? null
        : error.ValueKind == JsonValueKind.String ? error.GetString()
        : error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) ? m.GetString() : error.ToString();

    private static JsonDocument Parse(byte[] bytes)
    {
        try
        {
            return JsonDocument.Parse(bytes.Length == 0 ? "{}"u8.ToArray() : bytes);
        }
        catch (JsonException)
        {
            throw new CliException("the socket answered something that is not the gateway's JSON: is --socket the gateway's admin socket?");
        }
    }
}
