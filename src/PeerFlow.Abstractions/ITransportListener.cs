using System.Net;

namespace PeerFlow.Transports;

/// <summary>A bound listener that hands out inbound connections.</summary>
public interface ITransportListener : IAsyncDisposable
{
    /// <summary>The end point actually bound; never has port 0 once binding succeeded.</summary>
    EndPoint LocalEndPoint { get; }

    /// <summary>
    /// Waits for the next inbound connection. Returns <see langword="null"/> once the listener has been stopped
    /// (by <see cref="UnbindAsync"/> or disposal) instead of throwing.
    /// </summary>
    ValueTask<ITransportConnection?> AcceptAsync(CancellationToken cancellationToken = default);

    /// <summary>Stops accepting new connections. Connections already accepted are unaffected.</summary>
    ValueTask UnbindAsync(CancellationToken cancellationToken = default);
}
