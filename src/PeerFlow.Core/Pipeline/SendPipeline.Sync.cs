using System.IO.Hashing;

using PeerFlow.Files;
using PeerFlow.Protocol.Messages;
using PeerFlow.Sync;

namespace PeerFlow.Pipeline;

/// <summary>
/// Sync transfers in <see cref="SendPipeline"/>: files carry their content hash when checksums are asked for, every
/// verdict is counted and reported as a change (new, updated), and a dry run sends no data at all.
/// </summary>
internal sealed partial class SendPipeline
{
    private long _syncFilesChecked;
    private long _syncBytesChecked;
    private long _syncFilesNew;
    private long _syncBytesNew;
    private long _syncFilesUpdated;
    private long _syncBytesUpdated;

    /// <summary>The receiver takes LZ4-compressed control frames: entry batches (most of a no-op sync's traffic) go compressed.</summary>
    public bool CompressControl { get; init; }

    /// <summary>The receiver reads entry batches coded against the previous entry (capability <c>compact-entries</c>).</summary>
    public bool CompactEntries { get; init; }

    /// <summary>The sync this pipeline runs (as offered); null for a plain transfer.</summary>
    public SyncRequest? Sync { get; init; }

    /// <summary>This sync's report: the sender's counts and the receiver's deletions.</summary>
    public SyncReport SyncReport(TransferSummary summary) => new(
        Sync?.DryRun == true,
        _syncFilesChecked,
        _syncBytesChecked,
        _syncFilesNew,
        _syncBytesNew,
        _syncFilesUpdated,
        _syncBytesUpdated,
        _unchanged,
        summary.EntriesDeleted,
        summary.BytesDeleted,
        summary.DeletionRefused is null ? null : SafePath.Printable(summary.DeletionRefused));

    /// <summary>A file's declaration, with its content hash in a checksum sync (read now, before it is declared).</summary>
    private EntryInfo Declaration(SourceEntry entry)
    {
        var info = entry.ToEntryInfo();
        if (Sync is null || entry.Kind != EntryKind.File)
        {
            return info;
        }

        _syncFilesChecked++;
        _syncBytesChecked += entry.Size;
        if (_progress.FilesTotal < _syncFilesChecked)
        {
            // Not walked ahead: what is known so far.
            _progress.FilesTotal = _syncFilesChecked;
            _progress.BytesTotal = _syncBytesChecked;
        }

        if (Sync.Checksum)
        {
            info.Hash = HashOrNull(entry);
        }

        return info;
    }

    private byte[]? HashOrNull(SourceEntry entry)
    {
        try
        {
            using var handle = FileCalls.OpenRead(entry.FullPath, sequential: true);
            var hasher = new XxHash128();
            using var buffer = _pool.Rent(_options.ChunkSize.MaxChunk);
            for (long at = 0; at < entry.Size;)
            {
                var read = FileCalls.Read(handle, buffer.Array.AsSpan(0, (int)Math.Min(buffer.Array.Length, entry.Size - at)), at);
                if (read == 0)
                {
                    break;
                }

                hasher.Append(buffer.Array.AsSpan(0, read));
                at += read;
            }

            return hasher.GetCurrentHash();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Compared by size and time instead; reading it to send it will report the problem.
            return null;
        }
    }

    /// <summary>
    /// Counts and reports a sync's verdict on a file that is to be sent (new, or an update). True when nothing more
    /// is to be done with it: a dry run sends nothing.
    /// </summary>
    private bool RecordSyncChange(SourceEntry entry, EntryVerdict? verdict)
    {
        if (Sync is null)
        {
            return false;
        }

        var kind = verdict?.Kind is VerdictKind.Update or VerdictKind.Delta ? SyncChangeKind.Update : SyncChangeKind.New;
        if (kind == SyncChangeKind.Update)
        {
            Interlocked.Increment(ref _syncFilesUpdated);
            Interlocked.Add(ref _syncBytesUpdated, entry.Size);
        }
        else
        {
            Interlocked.Increment(ref _syncFilesNew);
            Interlocked.Add(ref _syncBytesNew, entry.Size);
        }

        _observer.OnSyncChange(new SyncChange(kind, SyncPath(entry), entry.Size, IsDirectory: false, Sync.DryRun));
        if (Sync.DryRun)
        {
            _progress.Credit(entry.Size);
            _progress.AddFile();
        }

        return Sync.DryRun;
    }

    /// <summary>A path below the synced directory (its entries start with the root's name).</summary>
    private static string SyncPath(SourceEntry entry)
    {
        var slash = entry.RelativePath.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? "" : entry.RelativePath[(slash + 1)..];
    }
}
