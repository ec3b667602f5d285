using System.Net.Quic;

namespace PeerFlow.Transports.Quic;

/// <summary>Application error codes on the wire and the translation of QUIC failures to transport errors.</summary>
internal static class QuicErrors
{
    /// <summary>A stream or connection abandoned without a clean end.</summary>
    public const long StreamAborted = 1;

    public const long ConnectionAborted = 2;

    public static TransportException Translate(System.Net.Sockets.SocketException ex, string what) => new(ex.SocketErrorCode switch
    {
        System.Net.Sockets.SocketError.AddressAlreadyInUse => TransportError.AddressInUse,
        System.Net.Sockets.SocketError.AddressNotAvailable => TransportError.EndPointNotSupported,
        System.Net.Sockets.SocketError.AccessDenied => TransportError.AccessDenied,
        System.Net.Sockets.SocketError.HostUnreachable or System.Net.Sockets.SocketError.NetworkUnreachable => TransportError.HostUnreachable,
        _ => TransportError.Unknown,
    }, $"{what}: {ex.Message}", ex);

    public static TransportException Translate(QuicException ex, string what) => new(ex.QuicError switch
    {
        QuicError.ConnectionRefused => TransportError.ConnectionRefused,
        QuicError.ConnectionTimeout or QuicError.ConnectionIdle => TransportError.TimedOut,
        QuicError.ConnectionAborted or QuicError.StreamAborted or QuicError.OperationAborted => TransportError.ConnectionReset,
        _ => TransportError.Unknown,
    }, $"{what}: {ex.Message}", ex);
}
