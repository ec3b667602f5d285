using System.Net;
using System.Net.Sockets;

namespace PeerFlow.Transports.Tcp;

/// <summary>TCP transport: one socket per connection, its bytes pumped through a pair of pipes.</summary>
/// <remarks>
/// Options (all optional): <c>socketBufferSize</c> (bytes, SO_SNDBUF and SO_RCVBUF; default: the kernel's autotuning),
/// <c>inputBufferSize</c> (bytes allowed to wait unread before the socket is no longer read; default 8 MiB).
/// </remarks>
public sealed class TcpTransportFactory : ITransportFactory
{
    public string Name => "tcp";

    public TransportCapabilities Capabilities => TransportCapabilities.None;

    public ValueTask<ITransportListener> BindAsync(EndPoint endPoint, TransportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var settings = TcpSettings.From(options);
        var bindTo = ToBindableEndPoint(endPoint);
        var socket = new Socket(bindTo.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (bindTo.AddressFamily == AddressFamily.InterNetworkV6 && bindTo.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(bindTo);
            socket.Listen(512);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw SocketErrors.Translate(ex, $"cannot listen on {endPoint.Format()}");
        }

        return ValueTask.FromResult<ITransportListener>(new TcpListener(socket, settings));
    }

    public async ValueTask<ITransportConnection> ConnectAsync(EndPoint endPoint, TransportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var settings = TcpSettings.From(options);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.ConnectTimeout);

        // An IPv4 address written the IPv6 way ([::ffff:127.0.0.1]) is reached over IPv4.
        if (endPoint is IPEndPoint { Address.IsIPv4MappedToIPv6: true } mapped)
        {
            endPoint = new IPEndPoint(mapped.Address.MapToIPv4(), mapped.Port);
        }

        var socket = endPoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TransportException(TransportError.TimedOut, $"connecting to {endPoint.Format()} timed out after {settings.ConnectTimeout.TotalSeconds:0.#} s");
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw SocketErrors.Translate(ex, $"cannot connect to {endPoint.Format()}");
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new TcpConnection(socket, settings);
    }

    private static IPEndPoint ToBindableEndPoint(EndPoint endPoint) => endPoint switch
    {
        IPEndPoint ip => ip,
        DnsEndPoint dns when dns.Host is "localhost" => new IPEndPoint(IPAddress.Loopback, dns.Port),
        DnsEndPoint dns when dns.Host is "*" or "" => new IPEndPoint(IPAddress.IPv6Any, dns.Port),
        DnsEndPoint dns => new IPEndPoint(ResolveOne(dns), dns.Port),
        _ => throw new TransportException(TransportError.EndPointNotSupported, $"tcp cannot listen on a {endPoint.GetType().Name}"),
    };

    private static IPAddress ResolveOne(DnsEndPoint dns)
    {
        try
        {
            var addresses = Dns.GetHostAddresses(dns.Host);
            return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.First();
        }
        catch (Exception ex) when (ex is SocketException or InvalidOperationException)
        {
            throw new TransportException(TransportError.HostUnreachable, $"cannot resolve '{dns.Host}'", ex);
        }
    }
}
