namespace PeerFlow.Transports;

/// <summary>Why a transport operation failed, independent of the underlying technology.</summary>
public enum TransportError
{
    /// <summary>Anything not covered below.</summary>
    Unknown = 0,

    /// <summary>Nothing listens at the remote end point.</summary>
    ConnectionRefused,

    /// <summary>The remote host or network cannot be reached, or its name does not resolve.</summary>
    HostUnreachable,

    /// <summary>The operation did not complete in time.</summary>
    TimedOut,

    /// <summary>The peer reset or aborted the connection.</summary>
    ConnectionReset,

    /// <summary>The connection was aborted locally.</summary>
    ConnectionAborted,

    /// <summary>The local end point is already in use.</summary>
    AddressInUse,

    /// <summary>The end point's type or address family is not supported by this transport.</summary>
    EndPointNotSupported,

    /// <summary>The operation is not permitted (privileged port, policy).</summary>
    AccessDenied,
}
