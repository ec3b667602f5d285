namespace PeerFlow.Transports;

/// <summary>
/// A connection that carries several independent streams (QUIC). Transports that advertise
/// <see cref="TransportCapabilities.Multiplexed"/> return connections implementing this interface; each stream is an
/// <see cref="ITransportConnection"/> of its own, so the engine drives it exactly like a single-stream connection.
/// </summary>
/// <remarks>
/// The connection's own <see cref="ITransportConnection.Transport"/> is the first stream (opened by the connecting
/// side); further streams are opened by either side.
/// </remarks>
public interface IMultiplexedTransportConnection : ITransportConnection
{
    /// <summary>Opens a new bidirectional stream to the peer.</summary>
    ValueTask<ITransportConnection> OpenStreamAsync(CancellationToken cancellationToken = default);

    /// <summary>Waits for the peer to open a stream; <see langword="null"/> once the connection is closed.</summary>
    ValueTask<ITransportConnection?> AcceptStreamAsync(CancellationToken cancellationToken = default);
}
