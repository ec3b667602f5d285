using System.Net;
using System.Net.Quic;
using System.Threading.Channels;

namespace PeerFlow.Transports.Quic;

/// <summary>
/// Accepts QUIC connections and, for each, the first stream the peer opens (the transfer's main connection). Both
/// happen in the background, side by side, so a peer that connects and opens nothing cannot hold up the others: it
/// is dropped after <see cref="FirstStreamTimeout"/>.
/// </summary>
internal sealed class QuicTransportListener : ITransportListener
{
    private static readonly TimeSpan FirstStreamTimeout = TimeSpan.FromSeconds(15);

    private readonly QuicListener _listener;
    private readonly Channel<QuicTransportConnection> _ready = Channel.CreateUnbounded<QuicTransportConnection>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public QuicTransportListener(QuicListener listener)
    {
        _listener = listener;
        LocalEndPoint = listener.LocalEndPoint;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    public EndPoint LocalEndPoint { get; }

    public async ValueTask<ITransportConnection?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _ready.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        // Stops listening on the port: new connections are refused from here on.
        await _listener.DisposeAsync().ConfigureAwait(false);
        await _accepting.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await UnbindAsync().ConfigureAwait(false);
        while (_ready.Reader.TryRead(out var unclaimed))
        {
            await unclaimed.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                QuicConnection connection;
                try
                {
                    connection = await _listener.AcceptConnectionAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is QuicException or System.Security.Authentication.AuthenticationException)
                {
                    // One peer's failed handshake is not the listener's failure.
                    continue;
                }

                _ = AcceptFirstStreamAsync(connection);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            _ready.Writer.TryComplete();
        }
    }

    private async Task AcceptFirstStreamAsync(QuicConnection connection)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(FirstStreamTimeout);
        try
        {
            var stream = await QuicErrors.AcceptAsync(connection, timeout.Token).ConfigureAwait(false);
            var accepted = new QuicTransportConnection(connection, new QuicStreamConnection(stream, connection));
            if (!_ready.Writer.TryWrite(accepted))
            {
                await accepted.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
