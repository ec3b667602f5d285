using MessagePack;

namespace PeerFlow.Protocol.Messages;

/// <summary>
/// The receiver's answer to one <see cref="EntryBatch"/> when it announced verdicts in its
/// <see cref="TransferReply"/>: which files it wants, already has, or holds a verified prefix of. Files of the batch
/// that are not listed get <see cref="Others"/> (wanted in full unless it says otherwise). The sender sends no data for a batch's files before its verdicts arrive.
/// </summary>
[MessagePackObject]
public sealed class EntryVerdicts : ControlMessage
{
    /// <summary>The id of the last entry of the batch answered.</summary>
    [Key(0)]
    public uint UpTo { get; set; }

    [Key(1)]
    public EntryVerdict[] Verdicts { get; set; } = [];

    /// <summary>
    /// What the batch's files that are not listed get: <see cref="VerdictKind.Send"/> (the default), or, in a sync,
    /// <see cref="VerdictKind.Have"/>, so that a tree that has not changed is answered with almost nothing.
    /// </summary>
    [Key(2)]
    public VerdictKind Others { get; set; }
}

/// <summary>What the receiver wants of one file.</summary>
[MessagePackObject]
public sealed class EntryVerdict
{
    [Key(0)]
    public uint Id { get; set; }

    [Key(1)]
    public VerdictKind Kind { get; set; }

    /// <summary><see cref="VerdictKind.Resume"/>: how many bytes from the start the receiver holds.</summary>
    [Key(2)]
    public long Offset { get; set; }

    /// <summary><see cref="VerdictKind.Resume"/>: XXH128 of those bytes (16 bytes, canonical form).</summary>
    [Key(3)]
    public byte[]? PrefixHash { get; set; }
}

/// <summary>A receiver's verdict on one file.</summary>
public enum VerdictKind : byte
{
    /// <summary>Send the whole file.</summary>
    Send = 0,

    /// <summary>The receiver already has this file (same size and modification time): send nothing, not even its end.</summary>
    Have = 1,

    /// <summary>The conflict policy keeps the receiver's existing file: send nothing.</summary>
    Skip = 2,

    /// <summary>
    /// The receiver holds the first <see cref="EntryVerdict.Offset"/> bytes. If the sender's first bytes hash the same,
    /// it sends from that offset; otherwise it sends from 0, and the receiver starts over.
    /// </summary>
    Resume = 3,

    /// <summary>Sync: send the whole file; it replaces a different one the receiver has. (In a sync, files without a verdict are new.)</summary>
    Update = 4,

    /// <summary>
    /// Sync with <see cref="SyncRequest.Delta"/>: the receiver has another version of this file and sends its block
    /// signatures (<see cref="BlockSignatures"/>); the sender sends what differs as data frames and the rest as
    /// <see cref="BlockCopy"/> ranges of the receiver's version. The new file replaces the old once verified.
    /// </summary>
    Delta = 5,
}
