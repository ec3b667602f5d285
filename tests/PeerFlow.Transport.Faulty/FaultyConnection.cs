using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace PeerFlow.Transports.Faulty;

/// <summary>A TCP socket behind a pair of pipes, with the faults of its plan applied to what it writes.</summary>
internal sealed class FaultyConnection : ITransportConnection, IDuplexPipe
{
    private readonly Socket _socket;
    private readonly FaultPlan? _plan;
    private readonly Pipe _input = new(new PipeOptions(useSynchronizationContext: false));
    private readonly Pipe _output = new(new PipeOptions(useSynchronizationContext: false));
    private readonly CancellationTokenSource _closed = new();
    private readonly Task _receiving;
    private readonly Task _sending;
    private readonly long _started = Environment.TickCount64;
    private long _written;
    private volatile bool _stalled;
    private volatile TransportException? _aborted;

    public FaultyConnection(Socket socket, FaultPlan? plan)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _plan = plan;
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        ConnectionClosed = _closed.Token;
        _receiving = Task.Run(ReceiveAsync);
        _sending = Task.Run(SendAsync);
    }

    public IDuplexPipe Transport => this;

    public PipeReader Input => _input.Reader;

    public PipeWriter Output => _output.Writer;

    public EndPoint? LocalEndPoint { get; }

    public EndPoint? RemoteEndPoint { get; }

    public CancellationToken ConnectionClosed { get; }

    public void Abort(TransportException? reason = null)
    {
        if (_aborted is not null)
        {
            return;
        }

        _aborted = reason ?? new TransportException(TransportError.ConnectionAborted, "the connection was aborted");
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        _socket.Dispose();
        _input.Writer.Complete(_aborted);
        _output.Reader.CancelPendingRead();
        _closed.Cancel();
    }

    private async Task ReceiveAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                if (_stalled)
                {
                    await Task.Delay(Timeout.Infinite, ConnectionClosed).ConfigureAwait(false);
                }

                var memory = _input.Writer.GetMemory(64 * 1024);
                var read = await _socket.ReceiveAsync(memory, SocketFlags.None, ConnectionClosed).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                _input.Writer.Advance(read);
                var flushed = await _input.Writer.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            error = _aborted ?? new TransportException(TransportError.ConnectionReset, $"the connection was reset ({ex.Message})", ex);
        }

        await _input.Writer.CompleteAsync(error).ConfigureAwait(false);
    }

    private async Task SendAsync()
    {
        try
        {
            while (true)
            {
                var result = await _output.Reader.ReadAsync().ConfigureAwait(false);
                if (_aborted is { } aborted)
                {
                    throw aborted;
                }

                foreach (var segment in result.Buffer)
                {
                    await WriteAsync(segment).ConfigureAwait(false);
                }

                _output.Reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    _socket.Shutdown(SocketShutdown.Send);
                    break;
                }
            }

            await _output.Reader.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var error = ex as TransportException ?? _aborted ?? new TransportException(TransportError.ConnectionReset, $"the connection was reset ({ex.Message})", ex);
            await _output.Reader.CompleteAsync(error).ConfigureAwait(false);
            Abort(error);
        }
    }

    private async Task WriteAsync(ReadOnlyMemory<byte> data)
    {
        var plan = _plan;
        while (!data.IsEmpty)
        {
            var length = data.Length;
            if (plan is not null)
            {
                length = Math.Min(length, Until(plan.CutAfter));
                length = Math.Min(length, Until(plan.StallAfter));
                length = Math.Min(length, Until(plan.CorruptAt) is > 0 and var c ? c : length);
                if (plan.Rate > 0)
                {
                    length = Math.Min(length, (int)Math.Max(1024, plan.Rate / 100));
                }
            }

            if (length == 0)
            {
                if (plan!.CutAfter >= 0 && _written >= plan.CutAfter)
                {
                    Abort(new TransportException(TransportError.ConnectionReset, $"fault injected: connection cut after {plan.CutAfter} bytes"));
                    throw _aborted!;
                }

                // Stall: keep the connection open and say nothing, in either direction.
                _stalled = true;
                await Task.Delay(Timeout.Infinite, ConnectionClosed).ConfigureAwait(false);
            }

            var chunk = data[..length];
            if (plan is not null && plan.CorruptAt == _written)
            {
                var copy = chunk.ToArray();
                copy[0] ^= 0xFF;
                chunk = copy;
            }

            await _socket.SendAsync(chunk, SocketFlags.None, ConnectionClosed).ConfigureAwait(false);
            _written += length;
            data = data[length..];
            if (plan is { Rate: > 0 })
            {
                var due = _written * 1000 / plan.Rate - (Environment.TickCount64 - _started);
                if (due > 0)
                {
                    await Task.Delay((int)due, ConnectionClosed).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Bytes that may still be written before a fault at <paramref name="at"/> (int.MaxValue when none is due).</summary>
    private int Until(long at) => at < 0 || at < _written ? int.MaxValue : (int)Math.Min(int.MaxValue, at - _written);

    public async ValueTask DisposeAsync()
    {
        await _output.Writer.CompleteAsync().ConfigureAwait(false);
        // What is queued gets up to 2 s to go out before the connection is torn down.
        await Task.WhenAny(_sending, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        Abort(new TransportException(TransportError.ConnectionAborted, "the connection was closed"));
        // Nobody reads the input any more: release a receive loop waiting for room in it.
        await _input.Reader.CompleteAsync().ConfigureAwait(false);
        await Task.WhenAll(_receiving, _sending).ConfigureAwait(false);
        _closed.Dispose();
    }
}
