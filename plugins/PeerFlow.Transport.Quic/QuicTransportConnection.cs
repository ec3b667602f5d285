using System.IO.Pipelines;
using System.Net;
using System.Net.Quic;
using System.Security.Cryptography.X509Certificates;

namespace PeerFlow.Transports.Quic;

/// <summary>
/// A QUIC connection: its first stream is this connection's own <see cref="Transport"/>; more streams are opened
/// and accepted on it. Disposing ends the first stream cleanly, then closes the connection.
/// </summary>
internal sealed class QuicTransportConnection(QuicConnection connection, QuicStreamConnection first) : IMultiplexedTransportConnection, IAuthenticatedConnection
{
    private int _disposed;

    public IDuplexPipe Transport => first.Transport;

    public EndPoint? LocalEndPoint => connection.LocalEndPoint;

    public EndPoint? RemoteEndPoint => connection.RemoteEndPoint;

    public CancellationToken ConnectionClosed => first.ConnectionClosed;

    public X509Certificate2? RemoteCertificate => connection.RemoteCertificate as X509Certificate2;

    public async ValueTask<ITransportConnection> OpenStreamAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var stream = await QuicErrors.OpenAsync(connection, cancellationToken).ConfigureAwait(false);
            return new QuicStreamConnection(stream, connection);
        }
        catch (QuicException ex)
        {
            throw QuicErrors.Translate(ex, "cannot open a stream");
        }
    }

    public async ValueTask<ITransportConnection?> AcceptStreamAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var stream = await QuicErrors.AcceptAsync(connection, cancellationToken).ConfigureAwait(false);
            return new QuicStreamConnection(stream, connection);
        }
        catch (QuicException ex) when (ex.QuicError is QuicError.ConnectionAborted or QuicError.OperationAborted or QuicError.ConnectionIdle or QuicError.ConnectionTimeout)
        {
            return null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    public void Abort(TransportException? reason = null)
    {
        first.Abort(reason);
        _ = CloseQuietlyAsync(QuicErrors.ConnectionAborted);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await first.DisposeAsync().ConfigureAwait(false);
        await CloseQuietlyAsync(0).ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    private async Task CloseQuietlyAsync(long errorCode)
    {
        try
        {
            await connection.CloseAsync(errorCode).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is QuicException or ObjectDisposedException)
        {
        }
    }
}
