namespace PeerFlow.Transfers;

/// <summary>Which side of a transfer this process is.</summary>
public enum TransferDirection
{
    Send,
    Receive,
}

/// <summary>Receives a transfer's events. Every method has an empty default; called from pipeline threads.</summary>
public interface ITransferObserver
{
    /// <summary>Every transition of the transfer's <see cref="TransferStateMachine"/>, in order.</summary>
    void OnStateChanged(TransferStateChanged change)
    {
    }

    void OnStarted(TransferStarted started)
    {
    }

    void OnProgress(TransferProgress progress)
    {
    }

    void OnFileCompleted(FileCompleted file)
    {
    }

    /// <summary>A sync decided what to do with an entry (new, updated, deleted; in a dry run, what it would do).</summary>
    void OnSyncChange(Sync.SyncChange change)
    {
    }

    /// <summary>
    /// A transfer handled by a <see cref="ReceiveServer"/> lost its connection; what arrived is kept, and the sender
    /// may come back to continue it.
    /// </summary>
    void OnConnectionLost(Exception error)
    {
    }

    /// <summary>A transfer handled by a <see cref="ReceiveServer"/> ended; <paramref name="error"/> is null on success.</summary>
    void OnEnded(TransferResult? result, Exception? error)
    {
    }
}

/// <summary>An observer that ignores everything (for callers that pass none).</summary>
internal sealed class NullTransferObserver : ITransferObserver
{
    public static readonly NullTransferObserver Instance = new();
}

/// <summary>
/// The transfer was accepted and data starts to flow. <see cref="PeerId"/> is the peer's authenticated ID on an
/// encrypted connection, null on a plaintext or in-process one.
/// </summary>
public sealed record TransferStarted(
    TransferDirection Direction,
    string TransferId,
    string? Peer,
    IReadOnlyList<string> Roots,
    long TotalFiles,
    long TotalBytes,
    string? PeerId = null,
    int Streams = 1)
{
    /// <summary>Where below the receiver's destination it goes (null: the destination itself).</summary>
    public string? Target { get; init; }

    /// <summary>A sync: the totals are not known up front (the tree is walked once, as it is compared) and grow in progress reports.</summary>
    public bool Sync { get; init; }
}

/// <summary>A snapshot of a running transfer.</summary>
public sealed record TransferProgress(
    TransferDirection Direction,
    long FilesDone,
    long FilesTotal,
    long BytesDone,
    long BytesTotal,
    double BytesPerSecond,
    TimeSpan Elapsed,
    TimeSpan? Eta);

/// <summary>One file is done: sent in full (sender) or verified and in place (receiver).</summary>
public sealed record FileCompleted(string Path, long Size);

/// <summary>
/// The outcome of a transfer. <see cref="Bytes"/> is all file content in place at the end; of it,
/// <see cref="BytesAlreadyThere"/> did not travel in the last attempt (files the receiver had, and the verified
/// starts of files an interrupted attempt left).
/// </summary>
public sealed record TransferResult(
    TransferDirection Direction,
    bool Success,
    long Files,
    long Directories,
    long Bytes,
    long FilesSkipped,
    TimeSpan Elapsed,
    IReadOnlyList<TransferFailure> Failures,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<string> StoredRoots,
    long BytesAlreadyThere = 0,
    long Links = 0)
{
    /// <summary>A sync's changes (or, in a dry run, what it would change); null for a plain transfer.</summary>
    public Sync.SyncReport? Sync { get; init; }
}

/// <summary>One entry that could not be transferred, and why.</summary>
public sealed record TransferFailure(string Path, string Reason);
