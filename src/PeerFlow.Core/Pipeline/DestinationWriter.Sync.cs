using PeerFlow.Files;
using PeerFlow.Protocol;
using PeerFlow.Protocol.Messages;
using PeerFlow.Resume;
using PeerFlow.Sync;

namespace PeerFlow.Pipeline;

/// <summary>
/// Sync transfers in <see cref="DestinationWriter"/>: the root is the destination itself, every file gets a verdict
/// (unchanged, changed, new), changed files are replaced once verified, and at the end what the sender does not have
/// is deleted (or moved to the trash) — unless a guard holds, in which case nothing is deleted at all.
/// </summary>
internal sealed partial class DestinationWriter
{
    private bool _senderIncomplete;

    /// <summary>Sync transfers: how the root is mirrored into the destination; null for a plain transfer.</summary>
    public SyncPlan? Sync { get; init; }

    /// <summary>Entries deleted (or moved to the trash; in a dry run, that would be).</summary>
    public long EntriesDeleted { get; private set; }

    public long BytesDeleted { get; private set; }

    /// <summary>Why nothing was deleted although the sender asked for deletion; null otherwise.</summary>
    public string? DeletionRefused { get; private set; }

    private bool DryRun => Sync?.DryRun == true;

    private long _filesChecked;
    private long _bytesChecked;
    private long _filesNew;
    private long _bytesNew;
    private long _filesUpdated;
    private long _bytesUpdated;
    private long _filesUnchanged;

    /// <summary>What this sync found and did, from the receiver's side.</summary>
    public SyncReport Report() => new(DryRun, _filesChecked, _bytesChecked, _filesNew, _bytesNew, _filesUpdated, _bytesUpdated, _filesUnchanged, EntriesDeleted, BytesDeleted, DeletionRefused);

    /// <summary>The target read ahead (a sync whose target existed); null: every file is examined as it is judged.</summary>
    public TargetScan? Scan { get; init; }

    /// <summary>
    /// A sync's verdict on a declared file: null (new: send it), <see cref="VerdictKind.Have"/> (same size and time,
    /// or with checksums the same content: its time and permissions are brought in line, no data needed) or
    /// <see cref="VerdictKind.Update"/> (send it; it replaces what is there once verified).
    /// </summary>

    private EntryVerdict? JudgeSync(IncomingFile file, SyncPlan sync)
    {
        var entry = file.Entry;
        _filesChecked++;
        _bytesChecked += entry.Size;
        PathStatus existing;
        try
        {
            existing = Scan?.Find(file.DisplayPath) ?? _tree.StatusBelow(file.DisplayPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Cannot be examined: send it, and let placing it report what is wrong.
            existing = new PathStatus(PathKind.Other, -1, 0, -1);
        }

        if (existing.Kind == PathKind.Missing)
        {
            _filesNew++;
            _bytesNew += entry.Size;
            return new EntryVerdict { Id = entry.Id, Kind = VerdictKind.Send };
        }

        var regular = existing.Kind == PathKind.File;
        file.DirectoryInTheWay = existing.Kind == PathKind.Directory;
        var same = regular && existing.Size == entry.Size && (sync.Request.Checksum && entry.Hash is { Length: ProtocolConstants.HashLength }
            ? SameContent(file.FinalPath, entry.Hash)
            : UnixTime.Same(existing.ModifiedUnixNanoseconds, entry.ModifiedUnixNanoseconds));
        if (!same)
        {
            _filesUpdated++;
            _bytesUpdated += entry.Size;
            return new EntryVerdict { Id = entry.Id, Kind = regular && TryDelta(file, existing, sync) ? VerdictKind.Delta : VerdictKind.Update };
        }

        _filesUnchanged++;
        if (!sync.DryRun)
        {
            AlignMetadata(file, existing);
        }

        return new EntryVerdict { Id = entry.Id, Kind = VerdictKind.Have };
    }

    private static bool SameContent(string path, byte[] hash)
    {
        try
        {
            using var handle = FileCalls.OpenReadNoFollow(path);
            var hasher = new System.IO.Hashing.XxHash128();
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1024 * 1024);
            try
            {
                for (long at = 0; ; at += buffer.Length)
                {
                    var read = FileCalls.Read(handle, buffer, at);
                    hasher.Append(buffer.AsSpan(0, read));
                    if (read < buffer.Length)
                    {
                        break;
                    }
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }

            return hasher.GetCurrentHash().AsSpan().SequenceEqual(hash);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Unreadable here: send it, and let placing it report what is wrong.
            return false;
        }
    }

    /// <summary>An unchanged file whose permissions (or, found equal by checksum, time) differ from the sender's gets the sender's.</summary>
    private void AlignMetadata(IncomingFile file, PathStatus existing)
    {
        var entry = file.Entry;
        var timeDiffers = !UnixTime.Same(existing.ModifiedUnixNanoseconds, entry.ModifiedUnixNanoseconds);
        var modeDiffers = entry.Mode >= 0 && existing.Mode >= 0 && !OperatingSystem.IsWindows() && (UnixFileMode)(existing.Mode & 0x1FF) != ToSafeMode(entry.Mode);
        if (!timeDiffers && !modeDiffers)
        {
            return;
        }

        try
        {
            using var handle = FileCalls.OpenReadNoFollow(file.FinalPath);
            if (modeDiffers && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(handle, ToSafeMode(entry.Mode));
            }

            FileCalls.SetModifiedTime(handle, entry.ModifiedUnixNanoseconds);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fail(file.DisplayPath, $"cannot set the time or permissions: {ex.Message}");
        }
    }

    /// <summary>
    /// Deletes what the sender does not have, after every file is in place and before directory times are set
    /// (deleting changes them). Nothing at all is deleted when a guard holds: the receiver does not allow it, the
    /// sender could not read its whole tree, the source was empty, or more would go than the sender's limit.
    /// </summary>
    private void ApplyDeletions(SyncPlan sync)
    {
        var request = sync.Request;
        if (_inTheWay.Count > 0)
        {
            // Already moved to the trash while the tree was written: reported with the deletions.
            EntriesDeleted += _inTheWay.Count;
            _verdicts?.Invoke(new SyncDeletions { Entries = [.. _inTheWay] });
        }

        if (!request.Delete)
        {
            return;
        }

        DeletionRefused = sync.Policy == SyncPolicy.NoDelete ? "this receiver does not allow deletions (it runs with --sync no-delete); nothing was deleted"
            : _senderIncomplete ? "the sender could not read its whole tree; nothing was deleted"
            : _entries <= 1 ? "the source is empty (an unmounted disk looks like this); nothing was deleted"
            : null;
        if (DeletionRefused is not null)
        {
            return;
        }

        var found = ExtraneousEntries.Find(_directories.Select(d => (d.Path, d.Display)), _declared.Contains, sync.Protect, request.Links, PartialStore.StateDirectoryName);
        var count = found.All.Count;
        if (count == 0)
        {
            return;
        }

        var percent = found.Seen == 0 ? 100 : 100.0 * count / found.Seen;
        DeletionRefused = request.MaxDelete >= 0
            ? count > request.MaxDelete ? $"{count} entries would be deleted, more than the limit of {request.MaxDelete} (--max-delete); nothing was deleted" : null
            : percent > request.MaxDeletePercent ? $"{count} of the {found.Seen} entries in the target ({percent:0}%) would be deleted, more than the limit of {request.MaxDeletePercent}% (--max-delete N allows more); nothing was deleted" : null;
        if (DeletionRefused is not null)
        {
            return;
        }

        var failed = sync.DryRun ? [] : Delete(found.TopLevel, sync.Trash);
        var reported = new List<DeletedEntry>(ProtocolConstants.MaxDeletionsPerMessage);
        foreach (var entry in found.All)
        {
            if (failed.Count > 0 && failed.Any(f => entry.Path == f || entry.Path.StartsWith(f + "/", StringComparison.Ordinal)))
            {
                continue;
            }

            EntriesDeleted++;
            BytesDeleted += entry.Size;
            reported.Add(entry);
            if (reported.Count == ProtocolConstants.MaxDeletionsPerMessage)
            {
                _verdicts?.Invoke(new SyncDeletions { Entries = [.. reported] });
                reported.Clear();
            }
        }

        if (reported.Count > 0)
        {
            _verdicts?.Invoke(new SyncDeletions { Entries = [.. reported] });
        }
    }

    private readonly List<DeletedEntry> _inTheWay = [];
    private string? _trashRoot;

    private string TrashRoot() => _trashRoot ??= Path.Join(_destination, PartialStore.StateDirectoryName, PartialStore.TrashDirectoryName, DateTime.UtcNow.ToString("yyyy-MM-dd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// A sync that may delete: what stands where an entry of another kind goes (a directory where a file goes, a file
    /// where a directory goes) is moved to the trash — never removed outright, since it did not pass the deletion
    /// guards — and reported with the deletions. False when the sync may not delete, or it cannot be moved.
    /// </summary>
    private bool ClearTheWay(string fullPath, string display, EntryKind kind)
    {
        if (Sync is not { } sync || sync.DryRun || !sync.Request.Delete || sync.Policy != SyncPolicy.Allow)
        {
            return false;
        }

        try
        {
            MoveToTrash(fullPath, display);
            _inTheWay.Add(new DeletedEntry { Path = display, Kind = kind });
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fail(display, $"cannot move what is in the way to the trash: {ex.Message}");
            return false;
        }
    }

    private void MoveToTrash(string fullPath, string display)
    {
        var inTrash = Path.Join(TrashRoot(), display.Replace('/', Path.DirectorySeparatorChar));
        for (var n = 1; !_tree.Move(fullPath, inTrash, replace: false); n++)
        {
            inTrash = Path.Join(TrashRoot(), $"{display.Replace('/', Path.DirectorySeparatorChar)} ({n})");
        }
    }

    /// <summary>Deletes (or moves to a new folder of the trash) each candidate; returns the paths that could not be.</summary>
    private List<string> Delete(List<ExtraneousEntries.Candidate> candidates, bool trash)
    {
        var failed = new List<string>();
        var state = Path.Join(_destination, PartialStore.StateDirectoryName);
        foreach (var candidate in candidates)
        {
            try
            {
                if (trash)
                {
                    MoveToTrash(candidate.FullPath, candidate.Path);
                }
                else
                {
                    _tree.Delete(candidate.FullPath, candidate.Kind == EntryKind.Directory, Path.Join(state, PartialStore.DeletingPrefix + Guid.NewGuid().ToString("N")));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failed.Add(candidate.Path);
                Fail(candidate.Path, $"not deleted: {ex.Message}");
            }
        }

        return failed;
    }
}
