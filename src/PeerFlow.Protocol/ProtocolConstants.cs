namespace PeerFlow.Protocol;

/// <summary>Fixed numbers of the wire protocol. docs/PROTOCOL.md is the normative description.</summary>
public static class ProtocolConstants
{
    /// <summary>The protocol version this build speaks.</summary>
    public const int Version = 1;

    /// <summary>The oldest protocol version this build still accepts.</summary>
    public const int MinVersion = 1;

    /// <summary>Bytes each side sends first: "PFLW" CR LF SUB LF (catches text-mode mangling, like PNG's signature).</summary>
    public static ReadOnlySpan<byte> Preface => "PFLW\r\n\x1a\n"u8;

    /// <summary>Length of <see cref="Preface"/>.</summary>
    public const int PrefaceLength = 8;

    /// <summary>Length of the header in front of every frame.</summary>
    public const int FrameHeaderLength = 8;

    /// <summary>Length of the data-frame sub-header (file id, offset, original length).</summary>
    public const int DataHeaderLength = 16;

    /// <summary>Largest uncompressed chunk a data frame may carry.</summary>
    public const int MaxChunkSize = 4 * 1024 * 1024;

    /// <summary>Largest payload of any frame; a peer's length field above this breaks the session.</summary>
    public const int MaxFramePayload = DataHeaderLength + MaxChunkSize;

    /// <summary>Largest payload of a control frame.</summary>
    public const int MaxControlPayload = 1024 * 1024;

    /// <summary>Most entries one <see cref="Messages.EntryBatch"/> may carry.</summary>
    public const int MaxEntriesPerBatch = 4096;

    /// <summary>Longest relative path (UTF-8 bytes) an entry may carry.</summary>
    public const int MaxPathBytes = 4096;

    /// <summary>Length of an XXH128 digest.</summary>
    public const int HashLength = 16;

    /// <summary>Capability: data frames may be LZ4-compressed.</summary>
    public const string CapabilityLz4 = "lz4";

    /// <summary>Capability: entry batches may declare symbolic links (<c>EntryKind.Symlink</c>); receivers decide whether to create them.</summary>
    public const string CapabilitySymlinks = "symlinks";

    /// <summary>Capability: pause, resume, cancel and heartbeat messages, resume keys and entry verdicts.</summary>
    public const string CapabilityResume = "resume";

    /// <summary>Capability: a transfer may spread its data frames over extra data streams (<c>JoinStream</c>).</summary>
    public const string CapabilityStreams = "streams";

    /// <summary>Capability: control frames may be LZ4-compressed (the sender compresses its long entry batches).</summary>
    public const string CapabilityLz4Control = "lz4-control";

    /// <summary>Capability: entry batches may be coded against the previous entry (<c>CompactEntryBatch</c>, kind 20).</summary>
    public const string CapabilityCompactEntries = "compact-entries";

    /// <summary>Capability: sync transfers (<c>TransferOffer.Sync</c>): verdicts on every file, updates, deletions, dry runs.</summary>
    public const string CapabilitySync = "sync";

    /// <summary>Most rules a <see cref="Messages.SyncRequest"/> may carry to protect receiver entries from deletion.</summary>
    public const int MaxProtectRules = 4096;

    /// <summary>Most entries one <see cref="Messages.SyncDeletions"/> may carry.</summary>
    public const int MaxDeletionsPerMessage = 4096;

    /// <summary>Most extra data streams one transfer may use.</summary>
    public const int MaxExtraStreams = 15;

    /// <summary>Length of the token a receiver hands out for joining data streams to a transfer.</summary>
    public const int StreamTokenLength = 16;

    /// <summary>Most verdicts one <see cref="Messages.EntryVerdicts"/> may carry (one per entry of a batch).</summary>
    public const int MaxVerdicts = MaxEntriesPerBatch;
}
