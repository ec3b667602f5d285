using MessagePack;

namespace PeerFlow.Protocol.Messages;

/// <summary>The receiver's acknowledgement that ends a transfer: what it wrote and what failed.</summary>
[MessagePackObject]
public sealed class TransferSummary : ControlMessage
{
    /// <summary>True when every entry was stored (or skipped by policy) and verified.</summary>
    [Key(0)]
    public bool Success { get; set; }

    [Key(1)]
    public long FilesWritten { get; set; }

    [Key(2)]
    public long DirectoriesCreated { get; set; }

    /// <summary>Bytes of file content written and verified.</summary>
    [Key(3)]
    public long BytesWritten { get; set; }

    /// <summary>Files left alone because of the conflict policy.</summary>
    [Key(4)]
    public long FilesSkipped { get; set; }

    [Key(5)]
    public EntryFailure[] Failures { get; set; } = [];

    /// <summary>Sync: entries (files, links, directories) deleted, moved to the trash, or (dry run) that would be.</summary>
    [Key(6)]
    public long EntriesDeleted { get; set; }

    /// <summary>Sync: bytes of the files counted in <see cref="EntriesDeleted"/>.</summary>
    [Key(7)]
    public long BytesDeleted { get; set; }

    /// <summary>Sync: why nothing was deleted although deletion was asked for (a guard held); null otherwise.</summary>
    [Key(8)]
    public string? DeletionRefused { get; set; }
}

/// <summary>One entry the receiver could not store.</summary>
[MessagePackObject]
public sealed class EntryFailure
{
    [Key(0)]
    public string Path { get; set; } = "";

    [Key(1)]
    public string Reason { get; set; } = "";
}

/// <summary>A fatal error: the side that sends it closes the connection afterwards.</summary>
[MessagePackObject]
public sealed class ErrorMessage : ControlMessage
{
    [Key(0)]
    public ErrorCode Code { get; set; }

    [Key(1)]
    public string Message { get; set; } = "";
}

/// <summary>Machine-readable class of an <see cref="ErrorMessage"/>.</summary>
public enum ErrorCode
{
    Unknown = 0,
    ProtocolViolation = 1,
    UnsupportedVersion = 2,
    Refused = 3,
    InvalidPath = 4,
    IoError = 5,
    IntegrityFailure = 6,
    Cancelled = 7,
    Internal = 8,
}
