using System.Buffers;
using System.Text;

namespace MCProxy.Upstreams.Http;

/// <summary>One server-sent event: its <c>event</c> name (null for the default "message") and its data.</summary>
internal readonly record struct SseEvent(string? Name, byte[] Data, string? Id);

/// <summary>
/// Reads server-sent events from an upstream's stream, bounded: a line or an event's data longer than the message
/// cap ends the stream with an error instead of growing a buffer without end.
/// NOTE 1: a line may be <see cref="LineOverhead"/> bytes longer than the cap, so a message of exactly the cap fits
/// on its <c>data:</c> line; the line bound counts the raw bytes before the LF, so it holds the same whether the
/// line arrived in one read or in many.
/// </summary>
internal sealed class SseEventReader
{
    /// <summary><c>"data: "</c> and the CR of a CRLF around a line's value.</summary>
    private const int LineOverhead = 7;
    private readonly Stream _stream;
    private readonly int _maxEventBytes;
    private readonly int _maxLineBytes;
    private byte[] _buffer = new byte[4 * 1024]; // most answers are small; grows to the cap for the rest
    private int _start;
    private int _end;

    public SseEventReader(Stream stream, int maxEventBytes)
    {
        _stream = stream;
        _maxEventBytes = maxEventBytes;
        _maxLineBytes = maxEventBytes + LineOverhead;
    }

    /// <summary>The next event, or null at the end of the stream.</summary>
    /// <exception cref="InvalidDataException">a line or an event is over the cap.</exception>
    public async ValueTask<SseEvent?> ReadAsync(CancellationToken ct)
    {
        string? name = null;
        string? id = null;
        var data = new ArrayBufferWriter<byte>();
        var hasData = false;
        while (true)
        {
            var line = await ReadLineAsync(ct).ConfigureAwait(false);
            if (line is null)
            {
                return null; // an unfinished event at the end of the stream is dropped, as the spec says
            }
            if (line.Length == 0)
            {
                if (hasData)
                {
                    return new SseEvent(name, data.WrittenSpan.ToArray(), id);
                }
                name = null;
                continue;
            }
            var span = line.AsSpan();
            if (span[0] == (byte)':')
            {
                continue; // a comment (keep-alive)
            }
            var colon = span.IndexOf((byte)':');
            var field = colon < 0 ? span : span[..colon];
            var value = colon < 0 ? ReadOnlySpan<byte>.Empty : span[(colon + 1)..];
            if (value.Length > 0 && value[0] == (byte)' ')
            {
                value = value[1..];
            }
            if (field.SequenceEqual("data"u8))
            {
                if (hasData)
                {
                    data.Write("\n"u8);
                }
                if (data.WrittenCount + value.Length > _maxEventBytes)
                {
                    throw new InvalidDataException($"an event from the server is over {_maxEventBytes} bytes");
                }
                data.Write(value);
                hasData = true;
            }
            else if (field.SequenceEqual("event"u8))
            {
                name = Encoding.UTF8.GetString(value);
            }
            else if (field.SequenceEqual("id"u8))
            {
                id = Encoding.UTF8.GetString(value);
            }
        }
    }

    private async ValueTask<byte[]?> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                var length = newline - _start;
                if (length > _maxLineBytes)
                {
                    throw new InvalidDataException($"a line from the server is over {_maxEventBytes} bytes");
                }
                if (length > 0 && _buffer[newline - 1] == (byte)'\r')
                {
                    length--;
                }
                var line = _buffer.AsSpan(_start, length).ToArray();
                _start = newline + 1;
                return line;
            }
            if (_end - _start > _maxLineBytes)
            {
                throw new InvalidDataException($"a line from the server is over {_maxEventBytes} bytes");
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, _maxLineBytes + 1));
            }
            var n = await _stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            if (n == 0)
            {
                if (_end > _start)
                {
                    var rest = _buffer.AsSpan(_start, _end - _start).ToArray();
                    _start = _end;
                    return rest; // a last line without its newline
                }
                return null;
            }
            _end += n;
        }
    }
}
