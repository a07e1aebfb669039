using System.Net.Sockets;
using System.Text;

namespace MCProxy.Bench;

/// <summary>
/// The leanest HTTP/1.1 client: one keep-alive socket, a hand-written request, Content-Length or chunked responses
/// (peers answer Streamable HTTP POSTs as a chunked event stream).
/// Used so the client's own cost does not hide the gateway's (HttpClient adds tens of microseconds per call).
/// A connection the server closed while it was idle (Node servers close keep-alive connections after 5 s, and
/// alternating rounds leave a client idle while the others are measured) is replaced before the next request.
/// </summary>
internal sealed class RawHttpConnection : IDisposable
{
    private static readonly long IdleCheck = System.Diagnostics.Stopwatch.Frequency / 2;
    private readonly Uri _baseUrl;
    private readonly string _host;
    private readonly byte[] _buffer = new byte[1 << 20];
    private readonly SemaphoreSlim _lock = new(1, 1);
    private Socket _socket;
    private long _lastUsed;
    private bool _closeAfter;

    public RawHttpConnection(Uri baseUrl)
    {
        _baseUrl = baseUrl;
        _host = baseUrl.Authority;
        _socket = Connect();
    }

    private Socket Connect()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(_baseUrl.Host, _baseUrl.Port);
        _lastUsed = System.Diagnostics.Stopwatch.GetTimestamp();
        return socket;
    }

    /// <summary>
    /// A new socket when the server said it closes this one, or when it was idle for a while and is now readable
    /// with nothing to read (the server's FIN). Checked only after idleness, so the hot path makes no extra syscall.
    /// </summary>
    private void ReconnectIfClosed()
    {
        var idle = System.Diagnostics.Stopwatch.GetTimestamp() - _lastUsed > IdleCheck;
        if (_closeAfter || (idle && _socket.Poll(0, SelectMode.SelectRead) && _socket.Available == 0))
        {
            _socket.Dispose();
            _socket = Connect();
            _closeAfter = false;
        }
    }

    public async Task<(int Status, Dictionary<string, string> Headers, byte[] Body)> PostAsync(string path, byte[] body, string extraHeaders = "")
    {
        await _lock.WaitAsync();
        try
        {
            ReconnectIfClosed();
            var head = Encoding.ASCII.GetBytes(
                $"POST {path} HTTP/1.1\r\nHost: {_host}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n{extraHeaders}\r\n");
            await _socket.SendAsync(new[] { new ArraySegment<byte>(head), new ArraySegment<byte>(body) });
            var filled = 0;
            int headerEnd;
            while ((headerEnd = IndexOf(_buffer.AsSpan(0, filled), "\r\n\r\n"u8)) < 0)
            {
                filled += await Receive(filled);
            }
            var headerText = Encoding.ASCII.GetString(_buffer, 0, headerEnd);
            var lines = headerText.Split("\r\n");
            var status = int.Parse(lines[0].Split(' ')[1]);
            var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
            var bodyStart = headerEnd + 4;
            _closeAfter = headers.TryGetValue("connection", out var connection) && connection.Equals("close", StringComparison.OrdinalIgnoreCase);
            if (headers.TryGetValue("transfer-encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                return (status, headers, await ReadChunkedAsync(bodyStart, filled));
            }
            var length = headers.TryGetValue("content-length", out var cl) ? int.Parse(cl) : 0;
            while (filled - bodyStart < length)
            {
                filled += await Receive(filled);
            }
            return (status, headers, _buffer.AsSpan(bodyStart, length).ToArray());
        }
        finally
        {
            _lastUsed = System.Diagnostics.Stopwatch.GetTimestamp();
            _lock.Release();
        }
    }

    /// <summary>Reads chunks from <paramref name="at"/> until the zero-size chunk; the body is the chunks joined.</summary>
    private async Task<byte[]> ReadChunkedAsync(int at, int filled)
    {
        var body = new MemoryStream();
        while (true)
        {
            int lineEnd;
            while ((lineEnd = IndexOf(_buffer.AsSpan(at, filled - at), "\r\n"u8)) < 0)
            {
                filled += await Receive(filled);
            }
            var size = Convert.ToInt32(Encoding.ASCII.GetString(_buffer, at, lineEnd).Split(';')[0].Trim(), 16);
            at += lineEnd + 2;
            while (filled - at < size + 2)
            {
                filled += await Receive(filled);
            }
            if (size == 0)
            {
                return body.ToArray();
            }
            body.Write(_buffer, at, size);
            at += size + 2;
        }
    }

    private async Task<int> Receive(int offset)
    {
        var n = await _socket.ReceiveAsync(_buffer.AsMemory(offset));
        return n == 0 ? throw new IOException("connection closed") : n;
    }

    private static int IndexOf(ReadOnlySpan<byte> span, ReadOnlySpan<byte> value) => span.IndexOf(value);

    public void Dispose() => _socket.Dispose();
}
