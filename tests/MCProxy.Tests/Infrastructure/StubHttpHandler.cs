using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace MCProxy.Tests.Infrastructure;

/// <summary>What a <see cref="StubHttpHandler"/> saw of one request (the message itself is disposed by its sender).</summary>
internal sealed record RecordedRequest(HttpMethod Method, Uri? Url, string? Authorization, string Accept, string? ContentType, string Body);

/// <summary>
/// An <see cref="HttpMessageHandler"/> at the edge: records every request and answers with <c>answer(request, index)</c>
/// (index counts from 0), so a test can count fetches and look at what went over the wire without a socket.
/// </summary>
internal sealed class StubHttpHandler(Func<HttpRequestMessage, int, Task<HttpResponseMessage>> answer) : HttpMessageHandler
{
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private int _count;

    public StubHttpHandler(Func<HttpRequestMessage, int, HttpResponseMessage> answer)
        : this((request, index) => Task.FromResult(answer(request, index)))
    {
    }

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    public int Count => Volatile.Read(ref _count);

    public static HttpResponseMessage Json(string json, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        _requests.Enqueue(new RecordedRequest(request.Method, request.RequestUri, request.Headers.Authorization?.ToString(),
            request.Headers.Accept.ToString(), request.Content?.Headers.ContentType?.MediaType, body));
        var index = Interlocked.Increment(ref _count) - 1;
        return await answer(request, index);
    }
}
