using System.Buffers;

namespace PeerFlow.Protocol.Framing;

/// <summary>
/// One parsed frame. <see cref="Payload"/> points into the reader's buffer and is valid only until the reader
/// advances; for data frames it excludes the sub-header, whose fields are exposed here.
/// </summary>
public readonly struct Frame
{
    public Frame(FrameType type, FrameFlags flags, ReadOnlySequence<byte> payload, uint fileId = 0, long offset = 0, int originalLength = 0)
    {
        Type = type;
        Flags = flags;
        Payload = payload;
        FileId = fileId;
        Offset = offset;
        OriginalLength = originalLength;
    }

    public FrameType Type { get; }

    public FrameFlags Flags { get; }

    public ReadOnlySequence<byte> Payload { get; }

    /// <summary>Data frames: the file the chunk belongs to.</summary>
    public uint FileId { get; }

    /// <summary>Data frames: where the chunk starts in its file.</summary>
    public long Offset { get; }

    /// <summary>Data frames: the chunk's length once decompressed (equals the payload length when not compressed).</summary>
    public int OriginalLength { get; }

    public bool IsCompressed => (Flags & FrameFlags.Lz4) != 0;
}
