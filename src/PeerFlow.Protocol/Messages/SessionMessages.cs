using MessagePack;

namespace PeerFlow.Protocol.Messages;

/// <summary>
/// Either side stops the flow of data frames until it sends <see cref="ResumeTransfer"/>. Only sent to a peer that
/// announced <see cref="ProtocolConstants.CapabilityResume"/>.
/// </summary>
[MessagePackObject]
public sealed class PauseTransfer : ControlMessage
{
    /// <summary>Who paused and why, for the user (e.g. "paused by the receiver").</summary>
    [Key(0)]
    public string? Reason { get; set; }
}

/// <summary>The side that sent <see cref="PauseTransfer"/> lets data flow again.</summary>
[MessagePackObject]
public sealed class ResumeTransfer : ControlMessage
{
}

/// <summary>Sent by a side that has sent nothing else for a while, so the peer can tell a quiet link from a dead one.</summary>
[MessagePackObject]
public sealed class Heartbeat : ControlMessage
{
}

/// <summary>
/// Either side ends the transfer on purpose. Both end in the Cancelled state (not Failed); the receiver keeps what it
/// has received for a later resume unless <see cref="DiscardPartial"/> asks it to delete it.
/// </summary>
[MessagePackObject]
public sealed class CancelTransfer : ControlMessage
{
    [Key(0)]
    public string Reason { get; set; } = "";

    [Key(1)]
    public bool DiscardPartial { get; set; }
}
