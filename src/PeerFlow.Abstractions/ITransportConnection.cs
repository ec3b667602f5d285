using System.IO.Pipelines;
using System.Net;

namespace PeerFlow.Transports;

/// <summary>
/// One reliable, ordered, full-duplex byte stream between two peers.
/// </summary>
/// <remarks>
/// The engine reads from <see cref="IDuplexPipe.Input"/> and writes to <see cref="IDuplexPipe.Output"/>, one reader
/// and one writer at a time. Completing <c>Transport.Output</c> half-closes the connection (the peer's input then
/// completes once it has read everything); completing both sides and disposing closes it.
/// Errors surface from the pipes as <see cref="TransportException"/>.
/// </remarks>
public interface ITransportConnection : IAsyncDisposable
{
    /// <summary>The bytes of this connection.</summary>
    IDuplexPipe Transport { get; }

    /// <summary>The local end point, when the transport has one.</summary>
    EndPoint? LocalEndPoint { get; }

    /// <summary>The remote end point, when the transport has one.</summary>
    EndPoint? RemoteEndPoint { get; }

    /// <summary>Cancelled when the connection is closed or aborted, by either side.</summary>
    CancellationToken ConnectionClosed { get; }

    /// <summary>
    /// Tears the connection down at once: pending reads and writes fail, the peer sees a reset where the transport
    /// can signal one. Safe to call more than once and from any thread.
    /// </summary>
    void Abort(TransportException? reason = null);
}
