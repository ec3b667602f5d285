using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;

using PeerFlow.Transports;

namespace PeerFlow.Security;

/// <summary>
/// A transport connection inside TLS: the engine sees plain pipes; two pumps move bytes through an
/// <see cref="SslStream"/> over the transport's own pipes. Completing the output sends TLS close_notify and then
/// half-closes the transport. Every failure surfaces as <see cref="TransportException"/>, like any transport's.
/// </summary>
internal sealed class SecureConnection : ITransportConnection, IDuplexPipe
{
    private readonly ITransportConnection _inner;
    private readonly SslStream _tls;
    private readonly Pipe _input = new(new PipeOptions(pauseWriterThreshold: 2 << 20, resumeWriterThreshold: 1 << 20, minimumSegmentSize: 256 * 1024, useSynchronizationContext: false));
    private readonly Pipe _output = new(new PipeOptions(pauseWriterThreshold: 2 << 20, resumeWriterThreshold: 1 << 20, minimumSegmentSize: 256 * 1024, useSynchronizationContext: false));
    private readonly Task _receiving;
    private readonly Task _sending;
    private int _disposed;

    private const int MaxRecord = 16 * 1024;

    public SecureConnection(ITransportConnection inner, SslStream tls, PeerId remoteId)
    {
        _inner = inner;
        _tls = tls;
        RemoteId = remoteId;
        _receiving = Task.Run(ReceiveAsync);
        _sending = Task.Run(SendAsync);
    }

    /// <summary>The peer's ID, from the certificate it proved it holds the key of.</summary>
    public PeerId RemoteId { get; }

    public IDuplexPipe Transport => this;

    public PipeReader Input => _input.Reader;

    public PipeWriter Output => _output.Writer;

    public EndPoint? LocalEndPoint => _inner.LocalEndPoint;

    public EndPoint? RemoteEndPoint => _inner.RemoteEndPoint;

    public CancellationToken ConnectionClosed => _inner.ConnectionClosed;

    public void Abort(TransportException? reason = null)
    {
        _inner.Abort(reason);
        _output.Reader.CancelPendingRead();
    }

    private async Task ReceiveAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                // Room for two records: fewer, fuller reads than one record's worth (measured), while a larger
                // request would take a fresh pipe segment for every read.
                var memory = _input.Writer.GetMemory(2 * MaxRecord);
                var read = await _tls.ReadAsync(memory).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                // Handed on at once: holding decrypted records back until "more is surely coming" would need to
                // know what SslStream buffers inside, and guessing wrong stalls the peer until its next heartbeat.
                _input.Writer.Advance(read);
                var flushed = await _input.Writer.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            error = Translate(ex);
        }

        await _input.Writer.CompleteAsync(error).ConfigureAwait(false);
    }

    private async Task SendAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await _output.Reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    throw new TransportException(TransportError.ConnectionAborted, "the connection was aborted");
                }

                foreach (var segment in result.Buffer)
                {
                    await _tls.WriteAsync(segment).ConfigureAwait(false);
                }

                // The records only filled the transport's pipe: one send for the whole batch.
                await _tls.FlushAsync().ConfigureAwait(false);
                _output.Reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    // Tell the peer this is the real end (close_notify), then half-close the transport.
                    await _tls.ShutdownAsync().ConfigureAwait(false);
                    await _inner.Transport.Output.CompleteAsync().ConfigureAwait(false);
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            error = Translate(ex);
            _inner.Abort(error as TransportException);
        }

        await _output.Reader.CompleteAsync(error).ConfigureAwait(false);
    }

    private static Exception Translate(Exception ex) => ex switch
    {
        TransportException => ex,
        IOException { InnerException: TransportException inner } => inner,
        AuthenticationException or IOException or ObjectDisposedException or InvalidOperationException
            => new TransportException(TransportError.ConnectionReset, $"the encrypted connection failed: {ex.Message}", ex),
        _ => ex,
    };

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // A graceful end when we can (close_notify, then the transport's own orderly close), a reset when the peer
        // does not take our last bytes within 2 s.
        await _output.Writer.CompleteAsync().ConfigureAwait(false);
        if (await Task.WhenAny(_sending, Task.Delay(2000)).ConfigureAwait(false) != _sending)
        {
            _inner.Abort();
        }

        await _inner.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(_receiving, _sending).ConfigureAwait(false);
        await _input.Reader.CompleteAsync().ConfigureAwait(false);
        try
        {
            await _tls.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // The transport is gone already; there is nothing left to say on it.
        }
    }
}
