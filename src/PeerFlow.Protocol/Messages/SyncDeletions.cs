using MessagePack;

namespace PeerFlow.Protocol.Messages;

/// <summary>
/// Sync with deletion: entries the receiver deleted (or, in a dry run, would delete), in batches before its
/// <see cref="TransferSummary"/>, so the sender can show exactly what went.
/// </summary>
[MessagePackObject]
public sealed class SyncDeletions : ControlMessage
{
    [Key(0)]
    public DeletedEntry[] Entries { get; set; } = [];
}

/// <summary>One deleted entry.</summary>
[MessagePackObject]
public sealed class DeletedEntry
{
    /// <summary>Path below the sync target, '/'-separated.</summary>
    [Key(0)]
    public string Path { get; set; } = "";

    [Key(1)]
    public EntryKind Kind { get; set; }

    /// <summary>Files: their size; otherwise 0.</summary>
    [Key(2)]
    public long Size { get; set; }
}
