using MessagePack;

namespace PeerFlow.Protocol.Messages;

/// <summary>The sender proposes a transfer: what roots it sends and how much, before any entry or data.</summary>
[MessagePackObject]
public sealed class TransferOffer : ControlMessage
{
    /// <summary>16 random bytes naming this transfer (used in temporary names and, later, to resume).</summary>
    [Key(0)]
    public byte[] TransferId { get; set; } = [];

    /// <summary>The top-level names that entries' paths start with (one per source path given to the sender).</summary>
    [Key(1)]
    public string[] Roots { get; set; } = [];

    /// <summary>Files the sender expects to send (an estimate: the tree may change while it is sent).</summary>
    [Key(2)]
    public long TotalFiles { get; set; }

    [Key(3)]
    public long TotalDirectories { get; set; }

    /// <summary>Bytes of file content the sender expects to send, before compression.</summary>
    [Key(4)]
    public long TotalBytes { get; set; }

    /// <summary>Largest uncompressed chunk the sender will put in one data frame.</summary>
    [Key(5)]
    public int ChunkSize { get; set; }

    /// <summary>
    /// 16 bytes that stay the same when the same sources are sent again (after a dropped connection, a crash, or a
    /// second run of the same command), so the receiver can find what it kept of an earlier attempt. Null: no resume.
    /// </summary>
    [Key(6)]
    public byte[]? ResumeKey { get; set; }

    /// <summary>Extra data streams the sender would like to open beside this connection (0: none). Needs the <c>streams</c> capability.</summary>
    [Key(7)]
    public int ExtraStreams { get; set; }

    /// <summary>
    /// Where below the receiver's destination the transfer goes, '/'-separated; null or empty: the destination itself.
    /// Without <see cref="Sync"/>, each root is stored inside it; with it, the single root's content is mirrored into it.
    /// A receiver with named shares reads its first name as the share.
    /// </summary>
    [Key(8)]
    public string? Target { get; set; }

    /// <summary>Mirror the single root into <see cref="Target"/> (capability <c>sync</c>); null: a plain transfer.</summary>
    [Key(9)]
    public SyncRequest? Sync { get; set; }
}

/// <summary>
/// How a sync transfer mirrors its root: the receiver answers every file with a verdict (unchanged, new, changed),
/// replaces changed files, and with <see cref="Delete"/> removes what the sender no longer has.
/// </summary>
[MessagePackObject]
public sealed class SyncRequest
{
    /// <summary>Files carry their content hash (<see cref="EntryInfo.Hash"/>); a file of the same size is unchanged when its hash matches, whatever its time.</summary>
    [Key(0)]
    public bool Checksum { get; set; }

    /// <summary>Remove files, links and directories below the target that the sender did not declare (and does not protect).</summary>
    [Key(1)]
    public bool Delete { get; set; }

    /// <summary>The most entries the receiver may delete; more, and it deletes none. -1: no count given (<see cref="MaxDeletePercent"/> applies).</summary>
    [Key(2)]
    public long MaxDelete { get; set; } = -1;

    /// <summary>Without <see cref="MaxDelete"/>: deleting more than this share (percent) of the target's entries deletes none.</summary>
    [Key(3)]
    public int MaxDeletePercent { get; set; } = 50;

    /// <summary>Move what is deleted into the receiver's trash instead of removing it.</summary>
    [Key(4)]
    public bool Trash { get; set; }

    /// <summary>Judge and report only: nothing is sent, written or deleted.</summary>
    [Key(5)]
    public bool DryRun { get; set; }

    /// <summary>Gitignore-style rules for what the sender leaves out: receiver entries they match (below the target) are never deleted.</summary>
    [Key(6)]
    public string[] Protect { get; set; } = [];

    /// <summary>The sender syncs symbolic links; otherwise links at the receiver are never deleted.</summary>
    [Key(7)]
    public bool Links { get; set; }

    /// <summary>The sender takes <see cref="VerdictKind.Delta"/>: for a changed file it sends only what differs from the receiver's version.</summary>
    [Key(8)]
    public bool Delta { get; set; }
}

/// <summary>The receiver accepts or refuses an offer. Nothing else flows until it has been sent.</summary>
[MessagePackObject]
public sealed class TransferReply : ControlMessage
{
    [Key(0)]
    public bool Accepted { get; set; }

    /// <summary>Why the offer was refused, for the user.</summary>
    [Key(1)]
    public string? Reason { get; set; }

    /// <summary>For each offered root, in order, the name the receiver will store it under (it differs after a conflict rename).</summary>
    [Key(2)]
    public string[] RootNames { get; set; } = [];

    /// <summary>The receiver answers every <see cref="EntryBatch"/> with <see cref="EntryVerdicts"/> (it is resuming, or may skip files).</summary>
    [Key(3)]
    public bool Verdicts { get; set; }

    /// <summary>Extra data streams the receiver accepts (at most what was offered; 0: none).</summary>
    [Key(4)]
    public int ExtraStreams { get; set; }

    /// <summary>16 random bytes a data stream presents in <see cref="JoinStream"/> to join this transfer; null when <see cref="ExtraStreams"/> is 0.</summary>
    [Key(5)]
    public byte[]? StreamToken { get; set; }
}
