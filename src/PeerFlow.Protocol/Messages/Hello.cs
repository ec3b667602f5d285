using MessagePack;

namespace PeerFlow.Protocol.Messages;

/// <summary>First message of the connecting side (the sender).</summary>
[MessagePackObject]
public sealed class Hello : ControlMessage
{
    /// <summary>Highest protocol version the sender speaks.</summary>
    [Key(0)]
    public int ProtocolVersion { get; set; }

    /// <summary>Lowest protocol version the sender accepts.</summary>
    [Key(1)]
    public int MinProtocolVersion { get; set; }

    /// <summary>Free text naming the implementation, e.g. "PeerFlow/0.1.0"; for logs only.</summary>
    [Key(2)]
    public string Software { get; set; } = "";

    /// <summary>Optional features the sender supports (e.g. "lz4").</summary>
    [Key(3)]
    public string[] Capabilities { get; set; } = [];

    /// <summary>Reserved for authentication (peer identity proof); empty in protocol version 1.</summary>
    [Key(4)]
    public byte[]? Authentication { get; set; }
}

/// <summary>The listening side's answer to <see cref="Hello"/>; a refusal is an <see cref="ErrorMessage"/> instead.</summary>
[MessagePackObject]
public sealed class HelloReply : ControlMessage
{
    /// <summary>The protocol version both sides use from now on.</summary>
    [Key(0)]
    public int ProtocolVersion { get; set; }

    [Key(1)]
    public string Software { get; set; } = "";

    /// <summary>The capabilities both sides share; the sender uses nothing outside this set.</summary>
    [Key(2)]
    public string[] Capabilities { get; set; } = [];

    /// <summary>Reserved for authentication; empty in protocol version 1.</summary>
    [Key(3)]
    public byte[]? Authentication { get; set; }
}
