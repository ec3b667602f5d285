namespace PeerFlow.Protocol.Framing;

/// <summary>The first byte of every frame header.</summary>
public enum FrameType : byte
{
    /// <summary>A MessagePack control message.</summary>
    Control = 1,

    /// <summary>A chunk of one file's bytes behind a 16-byte sub-header.</summary>
    Data = 2,
}

/// <summary>Bits of a frame header's flags byte.</summary>
[Flags]
public enum FrameFlags : byte
{
    None = 0,

    /// <summary>
    /// Data frame: the chunk is one LZ4 block (raw block format, no frame header). Control frame (capability
    /// <c>lz4-control</c>): the payload is the message's length (u32, big-endian) and its bytes as one LZ4 block.
    /// </summary>
    Lz4 = 1,
}
