using System.Net.Quic;

namespace PeerFlow.Transports.Quic;

/// <summary>Application error codes on the wire and the translation of QUIC failures to transport errors.</summary>
internal static class QuicErrors
{
    /// <summary>A stream or connection abandoned without a clean end.</summary>
    public const long StreamAborted = 1;

    public const long ConnectionAborted = 2;

    /// <summary>
    /// The byte the opening side writes first on every stream: QUIC tells the peer about a stream only once data is
    /// sent on it, and a connection must be accepted (and a stream opened) before the application writes anything.
    /// The accepting side reads and checks it; the application never sees it.
    /// </summary>
    public static ReadOnlyMemory<byte> StreamOpening { get; } = new byte[] { 0x51 };

    public static async ValueTask<QuicStream> OpenAsync(QuicConnection connection, CancellationToken cancellationToken)
    {
        var stream = await connection.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(StreamOpening, cancellationToken).ConfigureAwait(false);
        return stream;
    }

    public static async ValueTask<QuicStream> AcceptAsync(QuicConnection connection, CancellationToken cancellationToken)
    {
        var stream = await connection.AcceptInboundStreamAsync(cancellationToken).ConfigureAwait(false);
        var first = new byte[1];
        await stream.ReadExactlyAsync(first, cancellationToken).ConfigureAwait(false);
        if (first[0] != StreamOpening.Span[0])
        {
            stream.Abort(QuicAbortDirection.Both, StreamAborted);
            await stream.DisposeAsync().ConfigureAwait(false);
            throw new TransportException(TransportError.ConnectionReset, "the peer's QUIC stream did not start like a PeerFlow stream");
        }

        return stream;
    }

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
