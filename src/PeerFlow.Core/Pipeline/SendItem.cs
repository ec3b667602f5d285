using PeerFlow.Buffers;
using PeerFlow.Files;
using PeerFlow.Protocol.Messages;

namespace PeerFlow.Pipeline;

/// <summary>What flows from the sender's readers to its frame writer.</summary>
internal abstract class SendItem
{
}

/// <summary>A control message, in order with the chunks around it.</summary>
internal sealed class ControlItem(ControlMessage message, SourceEntry? completes = null) : SendItem
{
    public ControlMessage Message { get; } = message;

    /// <summary>The file this message finishes (a <see cref="FileEnd"/>), for progress and events.</summary>
    public SourceEntry? Completes { get; } = completes;
}

/// <summary>A chunk of one file. Owns <see cref="Data"/> until the frame writer has copied it out.</summary>
internal sealed class ChunkItem(uint fileId, long offset, ChunkBuffer data) : SendItem
{
    public uint FileId { get; } = fileId;

    public long Offset { get; } = offset;

    /// <summary>Length of the chunk before compression.</summary>
    public int OriginalLength { get; } = data.Length;

    public ChunkBuffer Data { get; set; } = data;

    public bool Compressed { get; set; }

    /// <summary>
    /// Every chunk of this file goes on the same stream: its first chunk must reach the receiver first (after a
    /// resume verdict, where the file starts tells the receiver whether the sender continues or starts over).
    /// </summary>
    public bool Pinned { get; init; }

    /// <summary>Goes on the main connection, in order with the control messages around it (a delta's data and its block copies).</summary>
    public bool OnMain { get; init; }
}
