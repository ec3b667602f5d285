using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace PeerFlow.Transports.Tcp;

/// <summary>
/// One TCP socket exposed as a duplex pipe. Two pumps move bytes: socket → input pipe, output pipe → socket
/// (gathered sends, no copy). Completing the output half-closes the socket (FIN); <see cref="Abort"/> resets it.
/// </summary>
internal sealed class TcpConnection : ITransportConnection, IDuplexPipe
{
    private const int MinReceiveSize = 64 * 1024;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly Socket _socket;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly CancellationTokenSource _closed = new();
    private readonly CancellationToken _closedToken;
    private readonly Task _receiving;
    private readonly Task _sending;
    private readonly List<ArraySegment<byte>> _segments = [];
    private volatile TransportException? _abortReason;
    private int _disposed;

    public TcpConnection(Socket socket, TcpSettings settings)
    {
        _socket = socket;
        _socket.NoDelay = true;
        if (settings.SocketBufferSize > 0)
        {
            _socket.SendBufferSize = settings.SocketBufferSize;
            _socket.ReceiveBufferSize = settings.SocketBufferSize;
        }

        _closedToken = _closed.Token;
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        var pause = settings.InputBufferSize;
        _input = new Pipe(new PipeOptions(pauseWriterThreshold: pause, resumeWriterThreshold: pause / 2, minimumSegmentSize: 256 * 1024, useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(pauseWriterThreshold: pause, resumeWriterThreshold: pause / 2, minimumSegmentSize: 256 * 1024, useSynchronizationContext: false));
        _receiving = Task.Run(ReceiveLoopAsync);
        _sending = Task.Run(SendLoopAsync);
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
        try
        {
            // Linger 0 makes close send RST instead of FIN: the peer learns at once that this was not a clean end.
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

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

        _output.Writer.Complete();
        try
        {
            await _sending.WaitAsync(DrainTimeout).ConfigureAwait(false);
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

    private async Task ReceiveLoopAsync()
    {
        Exception? error = null;
        var writer = _input.Writer;
        try
        {
            while (true)
            {
                var memory = writer.GetMemory(MinReceiveSize);
                var received = await _socket.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    break;
                }

                writer.Advance(received);
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (SocketException ex)
        {
            error = _abortReason ?? SocketErrors.Translate(ex, "receive failed");
        }
        catch (ObjectDisposedException)
        {
            error = _abortReason;
        }
        finally
        {
            writer.Complete(error);
            if (error is not null)
            {
                SignalClosed();
            }
        }
    }

    private async Task SendLoopAsync()
    {
        Exception? error = null;
        var reader = _output.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled || _abortReason is not null)
                {
                    break;
                }

                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    await SendAsync(buffer).ConfigureAwait(false);
                }

                reader.AdvanceTo(buffer.End);
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
            error = _abortReason ?? SocketErrors.Translate(ex, "send failed");
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
        finally
        {
            reader.Complete(error);
        }
    }

    private async ValueTask SendAsync(ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            await _socket.SendAsync(buffer.First, SocketFlags.None).ConfigureAwait(false);
            return;
        }

        _segments.Clear();
        foreach (var memory in buffer)
        {
            if (!MemoryMarshal.TryGetArray(memory, out var segment))
            {
                throw new InvalidOperationException("pipe memory is not array-backed");
            }

            _segments.Add(segment);
        }

        await _socket.SendAsync(_segments, SocketFlags.None).ConfigureAwait(false);
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
