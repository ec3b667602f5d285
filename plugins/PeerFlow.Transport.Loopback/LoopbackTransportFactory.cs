using System.Collections.Concurrent;
using System.Net;

namespace PeerFlow.Transports.Loopback;

/// <summary>
/// In-process transport: a listener is an entry in a process-wide table keyed by port, a connection is a pair of
/// in-memory pipes. Used by <c>peerflow copy</c> and by tests; only peers in the same process can connect.
/// </summary>
/// <remarks>Options: <c>inputBufferSize</c> (bytes allowed to wait unread per direction; default 8 MiB).</remarks>
public sealed class LoopbackTransportFactory : ITransportFactory
{
    private static readonly ConcurrentDictionary<int, LoopbackListener> Listeners = new();
    private static int _nextPort = 49152;

    public string Name => "loopback";

    public TransportCapabilities Capabilities => TransportCapabilities.InProcess;

    public ValueTask<ITransportListener> BindAsync(EndPoint endPoint, TransportOptions? options = null, CancellationToken cancellationToken = default)
    {
        var port = PortOf(endPoint);
        var bufferSize = BufferSize(options);
        while (true)
        {
            var chosen = port != 0 ? port : Interlocked.Increment(ref _nextPort);
            var listener = new LoopbackListener(new LoopbackEndPoint(chosen), bufferSize, () => Listeners.TryRemove(chosen, out _));
            if (Listeners.TryAdd(chosen, listener))
            {
                return ValueTask.FromResult<ITransportListener>(listener);
            }

            if (port != 0)
            {
                throw new TransportException(TransportError.AddressInUse, $"loopback port {port} is already in use");
            }
        }
    }

    public ValueTask<ITransportConnection> ConnectAsync(EndPoint endPoint, TransportOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var port = PortOf(endPoint);
        if (!Listeners.TryGetValue(port, out var listener))
        {
            throw new TransportException(TransportError.ConnectionRefused, $"nothing listens on loopback port {port} in this process");
        }

        return ValueTask.FromResult(listener.Connect());
    }

    private static int PortOf(EndPoint endPoint) => endPoint switch
    {
        LoopbackEndPoint loopback => loopback.Port,
        IPEndPoint ip => ip.Port,
        DnsEndPoint dns => dns.Port,
        _ => throw new TransportException(TransportError.EndPointNotSupported, $"loopback cannot use a {endPoint?.GetType().Name ?? "null"} end point"),
    };

    private static int BufferSize(TransportOptions? options)
        => (options ?? new TransportOptions()).GetInt32("inputBufferSize", 8 * 1024 * 1024, 64 * 1024, 256 * 1024 * 1024);
}

/// <summary>The address of a loopback listener: a port number in this process's table.</summary>
public sealed class LoopbackEndPoint(int port) : EndPoint
{
    public int Port { get; } = port;

    public override string ToString() => $"loopback:{Port}";

    public override bool Equals(object? obj) => obj is LoopbackEndPoint other && other.Port == Port;

    public override int GetHashCode() => Port;
}
