using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

using PeerFlow.Transports;

namespace PeerFlow.Samples.UnixSocket;

/// <summary>
/// One connected socket as the duplex pipe PeerFlow reads and writes: two pumps, socket → input pipe and output
/// pipe → socket. Completing the output half-closes the socket, so the peer reads a clean end; <see cref="Abort"/>
/// drops it at once. Every failure reaches the application as a <see cref="TransportException"/>.
/// </summary>
internal sealed class UnixSocketConnection : ITransportConnection, IDuplexPipe
{
    private const int SegmentSize = 256 * 1024;

    private readonly Socket _socket;
    private readonly Pipe _input = new(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20, minimumSegmentSize: SegmentSize, useSynchronizationContext: false));
    private readonly Pipe _output = new(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20, minimumSegmentSize: SegmentSize, useSynchronizationContext: false));
    private readonly CancellationTokenSource _closed = new();
    private readonly CancellationToken _closedToken;
    private readonly Task _receiving;
    private readonly Task _sending;
    private volatile TransportException? _abortReason;
    private int _disposed;

    public UnixSocketConnection(Socket socket)
    {
        _socket = socket;
        _closedToken = _closed.Token;
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        _receiving = Task.Run(ReceiveAsync);
        _sending = Task.Run(SendAsync);
    }

    public IDuplexPipe Transport => this;

    public PipeReader Input => _input.Reader;

    public PipeWriter Output => _output.Writer;

    public EndPoint? LocalEndPoint { get; }

    public EndPoint? RemoteEndPoint { get; }

    public CancellationToken ConnectionClosed => _closedToken;

    public void Abort(TransportException? reason = null)
    {
        if (_abortReason is not null)
        {
            return;
        }

        _abortReason = reason ?? new TransportException(TransportError.ConnectionAborted, "the connection was aborted");
        _socket.Dispose();
        _output.Reader.CancelPendingRead();
        SignalClosed();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Let what the application wrote go out (and the half-close with it), but not forever.
        _output.Writer.Complete();
        try
        {
            await _sending.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Abort(new TransportException(TransportError.TimedOut, "the peer did not take the last bytes in time"));
        }

        _socket.Dispose();
        _input.Reader.Complete();
        await _receiving.ConfigureAwait(false);
        SignalClosed();
        _closed.Dispose();
    }

    private async Task ReceiveAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                var memory = _input.Writer.GetMemory(64 * 1024);
                var received = await _socket.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    break;
                }

                _input.Writer.Advance(received);
                var flushed = await _input.Writer.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (SocketException ex)
        {
            error = _abortReason ?? UnixSocketTransportFactory.Translate(ex, "receive failed");
        }
        catch (ObjectDisposedException)
        {
            error = _abortReason;
        }

        await _input.Writer.CompleteAsync(error).ConfigureAwait(false);
        if (error is not null)
        {
            SignalClosed();
        }
    }

    private async Task SendAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await _output.Reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled || _abortReason is not null)
                {
                    break;
                }

                foreach (var segment in result.Buffer)
                {
                    for (var sent = 0; sent < segment.Length;)
                    {
                        sent += await _socket.SendAsync(segment[sent..], SocketFlags.None).ConfigureAwait(false);
                    }
                }

                _output.Reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }

            if (_abortReason is null)
            {
                _socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (SocketException ex)
        {
            error = _abortReason ?? UnixSocketTransportFactory.Translate(ex, "send failed");
        }
        catch (ObjectDisposedException)
        {
            error = _abortReason;
        }
        catch (Exception ex)
        {
            // The application completed its output with an error: that is an abort, not a clean end.
            error = ex;
            Abort(new TransportException(TransportError.ConnectionAborted, "the connection was aborted: " + ex.Message, ex));
        }

        await _output.Reader.CompleteAsync(error).ConfigureAwait(false);
        if (error is not null)
        {
            SignalClosed();
        }
    }

    private void SignalClosed()
    {
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
