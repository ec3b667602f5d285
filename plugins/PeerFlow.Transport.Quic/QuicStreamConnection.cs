using System.IO.Pipelines;
using System.Net;
using System.Net.Quic;

namespace PeerFlow.Transports.Quic;

/// <summary>
/// One bidirectional QUIC stream as a duplex pipe, with two pumps like the TCP transport's: stream → input pipe,
/// output pipe → stream. Completing the output ends the stream's sending side (FIN); <see cref="Abort"/> resets it.
/// </summary>
internal sealed class QuicStreamConnection : ITransportConnection, IDuplexPipe
{
    private const int MinReceiveSize = 64 * 1024;
    private const int PipeThreshold = 2 * 1024 * 1024;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly QuicStream _stream;
    private readonly Pipe _input = new(new PipeOptions(pauseWriterThreshold: PipeThreshold, resumeWriterThreshold: PipeThreshold / 2, minimumSegmentSize: 256 * 1024, useSynchronizationContext: false));
    private readonly Pipe _output = new(new PipeOptions(pauseWriterThreshold: PipeThreshold, resumeWriterThreshold: PipeThreshold / 2, minimumSegmentSize: 256 * 1024, useSynchronizationContext: false));
    private readonly CancellationTokenSource _closed = new();
    private readonly CancellationToken _closedToken;
    private readonly Task _receiving;
    private readonly Task _sending;
    private volatile TransportException? _abortReason;
    private int _disposed;

    public QuicStreamConnection(QuicStream stream, QuicConnection connection)
    {
        _stream = stream;
        _closedToken = _closed.Token;
        LocalEndPoint = connection.LocalEndPoint;
        RemoteEndPoint = connection.RemoteEndPoint;
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
            _stream.Abort(QuicAbortDirection.Both, QuicErrors.StreamAborted);
        }
        catch (ObjectDisposedException)
        {
        }

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

        if (_abortReason is null && !_receiving.IsCompleted)
        {
            // We will not read any more: tell the peer to stop sending.
            try
            {
                _stream.Abort(QuicAbortDirection.Read, QuicErrors.StreamAborted);
            }
            catch (ObjectDisposedException)
            {
            }
        }

        _input.Reader.Complete();
        await _receiving.ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
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
                var received = await _stream.ReadAsync(memory).ConfigureAwait(false);
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
        catch (QuicException ex)
        {
            error = _abortReason ?? QuicErrors.Translate(ex, "receive failed");
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
                foreach (var segment in buffer)
                {
                    await _stream.WriteAsync(segment).ConfigureAwait(false);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }

            if (_abortReason is null)
            {
                _stream.CompleteWrites();
            }
        }
        catch (QuicException ex)
        {
            error = _abortReason ?? QuicErrors.Translate(ex, "send failed");
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
