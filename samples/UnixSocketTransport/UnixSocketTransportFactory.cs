using System.Net;
using System.Net.Sockets;

using PeerFlow.Transports;

// Every plugin declares the contract version it was written against; the host refuses any other.
[assembly: TransportContract(TransportContract.Version)]

namespace PeerFlow.Samples.UnixSocket;

/// <summary>
/// A PeerFlow transport over Unix domain sockets (<c>--transport unix</c>, addresses <c>unix:/path/to.sock</c>): the
/// peers share a machine and the socket file's permissions decide who may connect. One public class implementing
/// <see cref="ITransportFactory"/> with a parameterless constructor is all the host looks for.
/// </summary>
public sealed class UnixSocketTransportFactory : ITransportFactory
{
    public string Name => "unix";

    /// <summary>One reliable byte stream per connection, like TCP; PeerFlow adds TLS on top.</summary>
    public TransportCapabilities Capabilities => TransportCapabilities.None;

    public ValueTask<ITransportListener> BindAsync(EndPoint endPoint, TransportOptions? options = null, CancellationToken cancellationToken = default)
    {
        var path = PathOf(endPoint);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            socket.Listen(options?.GetInt32("backlog", 64, 1, 65535) ?? 64);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw Translate(ex, $"cannot listen on unix:{path}");
        }

        return ValueTask.FromResult<ITransportListener>(new UnixSocketListener(socket, path));
    }

    public async ValueTask<ITransportConnection> ConnectAsync(EndPoint endPoint, TransportOptions? options = null, CancellationToken cancellationToken = default)
    {
        var path = PathOf(endPoint);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw Translate(ex, $"cannot connect to unix:{path}");
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new UnixSocketConnection(socket);
    }

    private static string PathOf(EndPoint endPoint) => endPoint switch
    {
        UnixDomainSocketEndPoint unix => unix.ToString(),
        _ => throw new TransportException(TransportError.EndPointNotSupported, $"the unix transport needs a unix:/path address, not {endPoint}"),
    };

    /// <summary>Failures are <see cref="TransportException"/>s with a clear message, as the contract asks.</summary>
    internal static TransportException Translate(SocketException ex, string what) => new(
        ex.SocketErrorCode switch
        {
            SocketError.ConnectionRefused or SocketError.AddressNotAvailable => TransportError.ConnectionRefused,
            SocketError.ConnectionReset => TransportError.ConnectionReset,
            SocketError.ConnectionAborted or SocketError.OperationAborted or SocketError.Shutdown => TransportError.ConnectionAborted,
            SocketError.AddressAlreadyInUse => TransportError.AddressInUse,
            SocketError.AccessDenied => TransportError.AccessDenied,
            SocketError.TimedOut => TransportError.TimedOut,
            _ => TransportError.Unknown,
        },
        $"{what}: {ex.Message}",
        ex);
}
