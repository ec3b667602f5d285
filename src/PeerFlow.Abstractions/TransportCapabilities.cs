namespace PeerFlow.Transports;

/// <summary>What a transport offers beyond one reliable byte stream per connection.</summary>
[Flags]
public enum TransportCapabilities
{
    /// <summary>One reliable, ordered byte stream per connection (TCP, in-process pipes).</summary>
    None = 0,

    /// <summary>Connections implement <see cref="IMultiplexedTransportConnection"/> (several streams per connection).</summary>
    Multiplexed = 1,

    /// <summary>The transport encrypts and authenticates by itself (QUIC, TLS).</summary>
    Encrypted = 2,

    /// <summary>Only peers in the same process can connect (the loopback transport).</summary>
    InProcess = 4,
}
