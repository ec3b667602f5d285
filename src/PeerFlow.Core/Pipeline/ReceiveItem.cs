using PeerFlow.Buffers;
using PeerFlow.Protocol.Messages;

namespace PeerFlow.Pipeline;

/// <summary>What flows from the receiver's frame loop to its writer.</summary>
internal abstract class ReceiveItem
{
}

internal sealed class ReceivedControl(ControlMessage message) : ReceiveItem
{
    public ControlMessage Message { get; } = message;
}

/// <summary>A chunk as received; owns <see cref="Data"/> until it is written (or dropped and reclaimed).</summary>
internal sealed class ReceivedChunk(uint fileId, long offset, int originalLength, ChunkBuffer data, bool compressed) : ReceiveItem
{
    public uint FileId { get; } = fileId;

    public long Offset { get; } = offset;

    public int OriginalLength { get; } = originalLength;

    public ChunkBuffer Data { get; set; } = data;

    public bool Compressed { get; set; } = compressed;
}
