using System.Net;
using System.Net.Sockets;

using PeerFlow.Transports;

namespace PeerFlow.Samples.UnixSocket;

/// <summary>Accepts connections on a socket file; removes the file when it stops.</summary>
internal sealed class UnixSocketListener(Socket socket, string path) : ITransportListener
{
    private int _stopped;

    public EndPoint LocalEndPoint { get; } = new UnixDomainSocketEndPoint(path);

    public async ValueTask<ITransportConnection?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return new UnixSocketConnection(await socket.AcceptAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (Volatile.Read(ref _stopped) != 0 && ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Stopped: the contract's answer is null, not an exception.
            return null;
        }
        catch (SocketException ex)
        {
            throw UnixSocketTransportFactory.Translate(ex, "accept failed");
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            socket.Dispose();
            File.Delete(path);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => UnbindAsync();
}
