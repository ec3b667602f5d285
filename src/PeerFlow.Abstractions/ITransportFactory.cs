using System.Net;

namespace PeerFlow.Transports;

/// <summary>
/// The entry point of a transport plugin: binds listeners and opens outbound connections.
/// A plugin exposes exactly one public, non-abstract implementation with a public parameterless constructor.
/// </summary>
public interface ITransportFactory
{
    /// <summary>The name users select the transport by (<c>--transport NAME</c>); lower case, unique among plugins.</summary>
    string Name { get; }

    /// <summary>What the transport can do beyond a single reliable byte stream per connection.</summary>
    TransportCapabilities Capabilities { get; }

    /// <summary>
    /// Starts listening on <paramref name="endPoint"/>. The returned listener reports the end point it really bound
    /// (a requested port 0 is resolved to the port the system chose).
    /// </summary>
    /// <exception cref="TransportException">The end point cannot be bound (in use, not permitted, unsupported).</exception>
    ValueTask<ITransportListener> BindAsync(EndPoint endPoint, TransportOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Opens a connection to a listener at <paramref name="endPoint"/>.</summary>
    /// <exception cref="TransportException">The peer cannot be reached (refused, unreachable, timed out).</exception>
    ValueTask<ITransportConnection> ConnectAsync(EndPoint endPoint, TransportOptions? options = null, CancellationToken cancellationToken = default);
}
