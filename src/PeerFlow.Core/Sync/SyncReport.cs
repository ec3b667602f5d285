namespace PeerFlow.Sync;

/// <summary>What a sync changed (or, in a dry run, would change), as the sender saw it.</summary>
/// <param name="DryRun">Nothing was sent, written or deleted.</param>
/// <param name="FilesChecked">Files of the source compared with the receiver's.</param>
/// <param name="BytesChecked">Their bytes.</param>
/// <param name="FilesNew">Files the receiver did not have.</param>
/// <param name="BytesNew">Their bytes.</param>
/// <param name="FilesUpdated">Files the receiver had in another version (replaced).</param>
/// <param name="BytesUpdated">Their bytes.</param>
/// <param name="FilesUnchanged">Files the receiver already had: not sent.</param>
/// <param name="EntriesDeleted">Entries deleted at the receiver (moved to its trash with <see cref="SyncOptions.Trash"/>).</param>
/// <param name="BytesDeleted">Bytes of the deleted files.</param>
/// <param name="DeletionRefused">Why nothing was deleted although deletion was asked for (a guard held); null otherwise.</param>
/// <param name="WireBytes">Data frames sent and block signatures received, in bytes: what the files cost the link (control messages aside).</param>
/// <param name="BytesCopied">Bytes of updated files the receiver took from its old versions (delta transfer) instead of the link.</param>
public sealed record SyncReport(
    bool DryRun,
    long FilesChecked,
    long BytesChecked,
    long FilesNew,
    long BytesNew,
    long FilesUpdated,
    long BytesUpdated,
    long FilesUnchanged,
    long EntriesDeleted,
    long BytesDeleted,
    string? DeletionRefused,
    long WireBytes = 0,
    long BytesCopied = 0);

/// <summary>What a sync does to one entry.</summary>
public enum SyncChangeKind
{
    /// <summary>A file the receiver does not have.</summary>
    New,

    /// <summary>A file the receiver has in another version.</summary>
    Update,

    /// <summary>An entry the receiver has and the source does not.</summary>
    Delete,
}

/// <summary>One change of a sync, reported as it is decided.</summary>
/// <param name="Kind">New, updated or deleted.</param>
/// <param name="Path">Below the sync's root, '/'-separated.</param>
/// <param name="Size">Bytes of the file (0 for directories and links).</param>
/// <param name="IsDirectory">A deleted directory (its content is reported before it).</param>
/// <param name="DryRun">Only what would happen: nothing was changed.</param>
public sealed record SyncChange(SyncChangeKind Kind, string Path, long Size, bool IsDirectory, bool DryRun);
