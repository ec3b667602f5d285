using System.Net;
using System.Net.Sockets;

namespace PeerFlow.Transports.Tcp;

internal sealed class TcpListener : ITransportListener
{
    private readonly Socket _socket;
    private readonly TcpSettings _settings;
    private int _stopped;

    public TcpListener(Socket socket, TcpSettings settings)
    {
        _socket = socket;
        _settings = settings;
        LocalEndPoint = socket.LocalEndPoint!;
    }

    public EndPoint LocalEndPoint { get; }

    public async ValueTask<ITransportConnection?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (Volatile.Read(ref _stopped) != 0)
            {
                return null;
            }

            try
            {
                var accepted = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
                return new TcpConnection(accepted, _settings);
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.OperationAborted || Volatile.Read(ref _stopped) != 0)
            {
                return null;
            }
            catch (SocketException)
            {
                // A connection reset between SYN and accept is the peer's problem, not the listener's: keep accepting.
            }
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            _socket.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => UnbindAsync();
}
