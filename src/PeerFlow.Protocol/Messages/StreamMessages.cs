using MessagePack;

namespace PeerFlow.Protocol.Messages;

/// <summary>
/// The first message on an extra data stream (a new connection, or a new stream of a multiplexed one), in place of
/// <see cref="Hello"/>: it joins the stream to a transfer the receiver accepted with extra streams.
/// </summary>
[MessagePackObject]
public sealed class JoinStream : ControlMessage
{
    /// <summary>The transfer's id, as in its <see cref="TransferOffer"/>.</summary>
    [Key(0)]
    public byte[] TransferId { get; set; } = [];

    /// <summary>The token of the receiver's <see cref="TransferReply"/>.</summary>
    [Key(1)]
    public byte[] Token { get; set; } = [];

    /// <summary>Which extra stream this is: 1 to the number the receiver accepted.</summary>
    [Key(2)]
    public int Stream { get; set; }
}

/// <summary>The receiver's answer to <see cref="JoinStream"/>. After an accepted reply the stream carries data frames (and heartbeats) from the sender.</summary>
[MessagePackObject]
public sealed class JoinReply : ControlMessage
{
    [Key(0)]
    public bool Accepted { get; set; }

    /// <summary>Why the stream was refused, for the user.</summary>
    [Key(1)]
    public string? Reason { get; set; }
}
