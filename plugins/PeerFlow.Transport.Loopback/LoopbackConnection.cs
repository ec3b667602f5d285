using System.IO.Pipelines;
using System.Net;

namespace PeerFlow.Transports.Loopback;

/// <summary>One end of an in-memory connection: it reads the pipe the peer writes and writes the pipe the peer reads.</summary>
internal sealed class LoopbackConnection : ITransportConnection, IDuplexPipe
{
    private readonly SharedState _shared;
    private int _disposed;

    public LoopbackConnection(PipeReader input, PipeWriter output, EndPoint local, EndPoint remote, SharedState shared)
    {
        Input = input;
        Output = output;
        LocalEndPoint = local;
        RemoteEndPoint = remote;
        _shared = shared;
    }

    public LoopbackConnection? Peer { get; set; }

    public IDuplexPipe Transport => this;

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public EndPoint? LocalEndPoint { get; }

    public EndPoint? RemoteEndPoint { get; }

    public CancellationToken ConnectionClosed => _shared.Closed.Token;

    public void Abort(TransportException? reason = null)
    {
        if (!_shared.TryAbort())
        {
            return;
        }

        var local = reason ?? new TransportException(TransportError.ConnectionAborted, "the connection was aborted");
        var remote = new TransportException(TransportError.ConnectionReset, "the peer reset the connection");
        // Like a TCP reset: pending and later reads fail on both ends (each pipe's writer completes with an error),
        // and further writes on either end fail because their writer is completed.
        Output.Complete(remote);
        Peer?.Output.Complete(local);
        _shared.SignalClosed();
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Output.Complete();
            Input.Complete();
            if (_shared.Release())
            {
                _shared.SignalClosed();
            }
        }

        return ValueTask.CompletedTask;
    }

    internal sealed class SharedState
    {
        private int _aborted;
        private int _open = 2;

        public CancellationTokenSource Closed { get; } = new();

        public bool TryAbort() => Interlocked.Exchange(ref _aborted, 1) == 0;

        public bool Release() => Interlocked.Decrement(ref _open) == 0;

        public void SignalClosed() => Closed.Cancel();
    }
}
