using System.Net;
using System.Net.Sockets;

namespace PeerFlow.Transports.Tcp;

/// <summary>Translates socket errors into the contract's <see cref="TransportException"/>.</summary>
internal static class SocketErrors
{
    public static TransportException Translate(SocketException ex, string what)
    {
        var error = ex.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => TransportError.ConnectionRefused,
            SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound
                or SocketError.NoData or SocketError.TryAgain or SocketError.HostDown => TransportError.HostUnreachable,
            SocketError.TimedOut => TransportError.TimedOut,
            SocketError.ConnectionReset or SocketError.Shutdown or SocketError.NetworkReset => TransportError.ConnectionReset,
            SocketError.ConnectionAborted or SocketError.OperationAborted => TransportError.ConnectionAborted,
            SocketError.AddressAlreadyInUse => TransportError.AddressInUse,
            SocketError.AccessDenied => TransportError.AccessDenied,
            SocketError.AddressFamilyNotSupported or SocketError.AddressNotAvailable => TransportError.EndPointNotSupported,
            _ => TransportError.Unknown,
        };
        var reason = error switch
        {
            TransportError.ConnectionRefused => "connection refused (is a receiver listening there?)",
            TransportError.HostUnreachable => "host unreachable",
            TransportError.TimedOut => "timed out",
            TransportError.ConnectionReset => "connection reset by peer",
            TransportError.AddressInUse => "address already in use",
            _ => ex.Message,
        };
        return new TransportException(error, $"{what}: {reason}", ex);
    }

    public static string Format(this EndPoint endPoint) => endPoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endPoint.ToString() ?? "?",
    };
}
