using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace PeerFlow.Transports.Faulty;

/// <summary>
/// The test transport <c>faulty</c>: plain TCP sockets whose outbound connections misbehave per <see cref="FaultPlan"/>.
/// Accepted connections behave.
/// </summary>
public sealed class FaultyTransportFactory : ITransportFactory
{
    private static readonly ConcurrentDictionary<string, int> s_connections = new(StringComparer.Ordinal);

    public string Name => "faulty";

    public TransportCapabilities Capabilities => TransportCapabilities.None;

    public ValueTask<ITransportListener> BindAsync(EndPoint endPoint, TransportOptions? options = null, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(endPoint);
            socket.Listen(64);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new TransportException(TransportError.AddressInUse, ex.Message, ex);
        }

        return ValueTask.FromResult<ITransportListener>(new FaultyListener(socket));
    }

    public async ValueTask<ITransportConnection> ConnectAsync(EndPoint endPoint, TransportOptions? options = null, CancellationToken cancellationToken = default)
    {
        var plan = FaultPlan.Parse(options);
        var number = s_connections.AddOrUpdate(plan.ToString(), 1, (_, n) => n + 1);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new TransportException(ex.SocketErrorCode == SocketError.ConnectionRefused ? TransportError.ConnectionRefused : TransportError.Unknown, $"cannot connect to {endPoint}: {ex.Message}", ex);
        }

        return new FaultyConnection(socket, number <= plan.Cuts ? plan : plan with { CutAfter = -1, StallAfter = -1, CorruptAt = -1 });
    }

    private sealed class FaultyListener(Socket socket) : ITransportListener
    {
        public EndPoint LocalEndPoint => socket.LocalEndPoint!;

        public async ValueTask<ITransportConnection?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return new FaultyConnection(await socket.AcceptAsync(cancellationToken).ConfigureAwait(false), null);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return null;
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => UnbindAsync();
    }
}
