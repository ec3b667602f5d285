namespace PeerFlow.Transports;

/// <summary>
/// The one exception type a transport lets escape. Transports translate their own errors (sockets, QUIC, ...)
/// into it at the boundary so that the engine never depends on a particular technology.
/// </summary>
public sealed class TransportException : IOException
{
    /// <summary>Creates an exception with the given reason and message.</summary>
    public TransportException(TransportError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>Why the operation failed.</summary>
    public TransportError Error { get; }
}
