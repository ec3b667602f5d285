namespace PeerFlow.Sync;

/// <summary>
/// The sending side's settings of a sync: mirror one directory into the receiver's target, sending only what is new
/// or changed, and optionally deleting what the source no longer has (guarded).
/// </summary>
public sealed class SyncOptions
{
    /// <summary>Default most share of the target's entries one sync may delete, in percent.</summary>
    public const int DefaultMaxDeletePercent = 50;

    /// <summary>Compare content hashes (both sides read every file of the same size) instead of size and modification time.</summary>
    public bool Checksum { get; init; }

    /// <summary>Delete receiver entries below the target that the source does not have (and does not leave out on purpose).</summary>
    public bool Delete { get; init; }

    /// <summary>The most entries one sync may delete; more, and it deletes none. Null: <see cref="MaxDeletePercent"/> applies.</summary>
    public long? MaxDelete
    {
        get;
        init => field = value is null or >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "max-delete must be 0 or more");
    }

    /// <summary>Without <see cref="MaxDelete"/>: a sync that would delete more than this share of the target's entries deletes none.</summary>
    public int MaxDeletePercent
    {
        get;
        init => field = value is >= 0 and <= 100 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "max-delete-percent must be 0 to 100");
    } = DefaultMaxDeletePercent;

    /// <summary>Move deleted entries into the receiver's trash (<c>.peerflow/trash/</c>) instead of removing them.</summary>
    public bool Trash { get; init; }

    /// <summary>Send changed files whole instead of only what differs from the receiver's version (delta transfer).</summary>
    public bool WholeFile { get; init; }

    /// <summary>Report what would be sent, updated and deleted; change nothing.</summary>
    public bool DryRun { get; init; }
}
