using System.Net.Sockets;
using System.Text;

namespace MCProxy.Hosting.Logging;

/// <summary>
/// Sends framed syslog messages: unix datagram (<c>/dev/log</c>), UDP, or TCP with RFC 6587 octet counting.
/// Connects lazily and reconnects after a failure; every method may throw <see cref="SocketException"/> or
/// <see cref="IOException"/>, which the sink counts as drops.
/// </summary>
internal sealed class SyslogTransport : IDisposable
{
    /// <summary>rsyslog's and journald's default limit for one datagram.</summary>
    public const int MaxDatagram = 8192;

    private readonly Uri _target;
    private Socket? _socket;

    public SyslogTransport(string target)
    {
        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || uri.Scheme is not ("unix" or "udp" or "tcp"))
        {
            throw new ArgumentException($"syslog target '{target}' must look like unix:///dev/log, udp://host:514 or tcp://host:601");
        }
        _target = uri;
    }

    public string Describe => _target.ToString();

    public void Send(string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        var socket = _socket ??= Connect();
        try
        {
            if (_target.Scheme == "tcp")
            {
                var frame = Encoding.ASCII.GetBytes($"{bytes.Length} ");
                socket.Send([new ArraySegment<byte>(frame), new ArraySegment<byte>(bytes)]);
            }
            else
            {
                socket.Send(bytes.AsSpan(0, Math.Min(bytes.Length, MaxDatagram)));
            }
        }
        catch
        {
            // Drop the connection so the next message reconnects; the caller counts the drop.
            _socket = null;
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A connected socket; a failed connect disposes its socket before throwing (no descriptor leaks per retry).</summary>
    private Socket Connect()
    {
        var socket = _target.Scheme switch
        {
            "unix" => new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified),
            "udp" => new Socket(SocketType.Dgram, ProtocolType.Udp),
            _ => new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, SendTimeout = 2000 },
        };
        try
        {
            switch (_target.Scheme)
            {
                case "unix":
                    socket.Connect(new UnixDomainSocketEndPoint(_target.AbsolutePath));
                    break;
                case "udp":
                    socket.Connect(_target.Host, _target.Port > 0 ? _target.Port : 514);
                    break;
                default:
                    socket.Connect(_target.Host, _target.Port > 0 ? _target.Port : 601);
                    break;
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => _socket?.Dispose();
}
