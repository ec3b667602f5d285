using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;

namespace PeerFlow.Transports.Loopback;

internal sealed class LoopbackListener : ITransportListener
{
    private readonly Channel<LoopbackConnection> _pending = Channel.CreateUnbounded<LoopbackConnection>();
    private readonly int _bufferSize;
    private readonly Action _unregister;
    private int _nextClientPort = 1;

    public LoopbackListener(LoopbackEndPoint endPoint, int bufferSize, Action unregister)
    {
        LocalEndPoint = endPoint;
        _bufferSize = bufferSize;
        _unregister = unregister;
    }

    public EndPoint LocalEndPoint { get; }

    public ITransportConnection Connect()
    {
        var options = new PipeOptions(pauseWriterThreshold: _bufferSize, resumeWriterThreshold: _bufferSize / 2, minimumSegmentSize: 64 * 1024, useSynchronizationContext: false);
        var toServer = new Pipe(options);
        var toClient = new Pipe(options);
        var shared = new LoopbackConnection.SharedState();
        var clientEndPoint = new LoopbackEndPoint(-Interlocked.Increment(ref _nextClientPort));
        var client = new LoopbackConnection(toClient.Reader, toServer.Writer, clientEndPoint, LocalEndPoint, shared);
        var server = new LoopbackConnection(toServer.Reader, toClient.Writer, LocalEndPoint, clientEndPoint, shared);
        client.Peer = server;
        server.Peer = client;
        if (!_pending.Writer.TryWrite(server))
        {
            throw new TransportException(TransportError.ConnectionRefused, $"{LocalEndPoint} is no longer listening");
        }

        return client;
    }

    public async ValueTask<ITransportConnection?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _pending.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        if (_pending.Writer.TryComplete())
        {
            _unregister();
            while (_pending.Reader.TryRead(out var orphan))
            {
                orphan.Abort(new TransportException(TransportError.ConnectionRefused, "the listener stopped before accepting"));
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => UnbindAsync();
}
