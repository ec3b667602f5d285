namespace PeerFlow.Protocol;

/// <summary>The peer broke the protocol: malformed, oversized or unexpected input. The session cannot continue.</summary>
public sealed class ProtocolException : Exception
{
    public ProtocolException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
