using PeerFlow.Files;
using PeerFlow.Protocol;
using PeerFlow.Protocol.Messages;
using PeerFlow.Resume;
using PeerFlow.Transfers;

namespace PeerFlow.Pipeline;

/// <summary>
/// The receiver's demultiplexer and writer: turns declarations, chunks and file ends into files in the destination.
/// Single-threaded (it is the body of one dataflow block), so its state needs no locks.
/// </summary>
/// <remarks>
/// Every file is written to a partial file in the transfer's <see cref="PartialStore"/>, hashed as written, and renamed
/// into place only after its hash matches the sender's; nothing existing is replaced before that. With verdicts on,
/// each entry batch is answered with what the receiver already has (a file in place, or the verified start of one
/// kept by an earlier attempt), so the sender sends only the rest. Peer paths go through
/// <see cref="SafePath"/>, and directories are created one level at a time, refusing to pass through a symbolic link.
/// </remarks>
internal sealed partial class DestinationWriter
{
    private const long PreallocateThreshold = 1024 * 1024;
    private const int MaxReportedFailures = 1000;

    private readonly string _destination;
    private readonly ReceiveOptions _options;
    private readonly PartialStore? _store;
    private readonly Action<ControlMessage>? _verdicts;
    private readonly IReadOnlyDictionary<string, RootPlan> _roots;
    private readonly ProgressTracker _progress;
    private readonly ITransferObserver _observer;
    private readonly Dictionary<uint, IncomingFile> _pending = [];
    private readonly List<(string Path, string Display, EntryInfo Entry)> _directories = [];
    private readonly DirectoryTree _tree;
    private readonly List<TransferFailure> _failures = [];
    private readonly DeclaredPaths _declared;
    private long _lastId = -1;
    private int _open;
    private long _fileEnds;
    private TransferEnd? _transferEnd;
    private readonly HashSet<uint> _aborted = [];

    /// <summary>
    /// Creates the writer; <paramref name="verdicts"/> is where the answer to each entry batch goes (null: verdicts
    /// are off); <paramref name="store"/> is null only for a sync's dry run, which writes nothing.
    /// </summary>
    public DestinationWriter(string destination, ReceiveOptions options, PartialStore? store, Action<ControlMessage>? verdicts, IReadOnlyDictionary<string, RootPlan> roots, ProgressTracker progress, ITransferObserver observer, DirectoryTree tree)
    {
        _tree = tree;
        _destination = destination;
        _options = options;
        _store = store;
        _verdicts = verdicts;
        _roots = roots;
        _progress = progress;
        _observer = observer;
        _declared = new DeclaredPaths(options.PortableNames || !OperatingSystem.IsLinux());
    }

    public long FilesWritten { get; private set; }

    public long DirectoriesCreated { get; private set; }

    /// <summary>Symbolic links created (or found already there, pointing where they should).</summary>
    public long LinksCreated { get; private set; }

    private long _entries;

    public long BytesWritten { get; private set; }

    public long FilesSkipped { get; private set; }

    /// <summary>Bytes the receiver had before this attempt: unchanged files and resumed prefixes.</summary>
    public long BytesAlreadyThere { get; private set; }

    public IReadOnlyList<TransferFailure> Failures => _failures;

    /// <summary>
    /// Data frames come over several streams: a chunk may overtake another, and a file's (or the transfer's) end may
    /// arrive before its last chunks. Without it, data must arrive in order (one stream).
    /// </summary>
    public bool MultiStream { get; init; }

    /// <summary>Set once the sender's <see cref="TransferEnd"/> has been processed and every file is finished.</summary>
    public bool Completed { get; private set; }

    public void Declare(EntryBatch batch)
    {
        if (batch.Entries is null || batch.Entries.Length > ProtocolConstants.MaxEntriesPerBatch)
        {
            throw new ProtocolException($"an entry batch must hold 1..{ProtocolConstants.MaxEntriesPerBatch} entries");
        }

        List<EntryVerdict>? verdicts = _verdicts is null ? null : [];
        foreach (var entry in batch.Entries)
        {
            Declare(entry, verdicts);
        }

        if (_verdicts is not null && batch.Entries.Length > 0)
        {
            // A sync answers every file: the files already here go unlisted, new ones are listed as Send.
            _verdicts(new EntryVerdicts { UpTo = batch.Entries[^1].Id, Verdicts = [.. verdicts!], Others = Sync is null ? VerdictKind.Send : VerdictKind.Have });
            StartSigning();
        }
    }

    private void Declare(EntryInfo entry, List<EntryVerdict>? verdicts)
    {
        if (entry is null || entry.Id <= _lastId)
        {
            throw new ProtocolException("entry ids must be unique and increasing");
        }

        _lastId = entry.Id;
        if (++_entries > _options.MaxEntries)
        {
            throw new ProtocolException($"the peer declared more than {_options.MaxEntries:N0} entries, this receiver's limit (receive --max-entries)");
        }

        var segments = SafePath.Split(entry.Path, _options.PortableNames ? true : null);
        if (segments.Length > _options.MaxDepth)
        {
            throw new InvalidPathException(entry.Path, $"it is nested {segments.Length} levels deep, more than this receiver's limit of {_options.MaxDepth} (receive --max-depth)");
        }

        if (!_roots.TryGetValue(segments[0], out var root))
        {
            throw new InvalidPathException(entry.Path, "it does not start with one of the offered roots");
        }

        var (finalPath, display) = Locate(entry, segments, root);
        if (!_declared.Add(display))
        {
            throw new InvalidPathException(entry.Path, _declared.CaseInsensitive ? "it is declared twice (names that differ only in case or Unicode form are the same file here)" : "it is declared twice");
        }
        switch (entry.Kind)
        {
            case EntryKind.Directory:
                try
                {
                    _directories.Add((finalPath, display, entry));
                    if (!DryRun)
                    {
                        if (Sync is not null && display.Length > 0 && _tree.StatusBelow(display).Kind is PathKind.File or PathKind.Link or PathKind.Other && !ClearTheWay(finalPath, display, EntryKind.File))
                        {
                            Fail(display, "a file is where this directory goes; sync with --delete to replace it");
                            break;
                        }

                        EnsureDirectory(finalPath);
                        DirectoriesCreated++;
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Fail(display, ex.Message);
                }

                break;
            case EntryKind.File:
                if (entry.Size < 0)
                {
                    throw new ProtocolException($"'{SafePath.Printable(entry.Path)}' has a negative size");
                }

                if (_pending.Count >= _options.MaxPendingFiles)
                {
                    throw new ProtocolException($"the peer declared more than {_options.MaxPendingFiles} files without finishing them");
                }

                if (Sync is not null)
                {
                    // A sync's offer carries no totals (its sender walks as it declares): they grow here.
                    _progress.FilesTotal++;
                    _progress.BytesTotal += entry.Size;
                }

                var file = new IncomingFile(entry, finalPath, display, root.Fresh);
                var verdict = verdicts is null ? null : Judge(file, root);
                if (verdict is null && verdicts is not null && Sync is not null)
                {
                    // In a sync, unlisted files count as already there: a file to send must be listed.
                    verdict = new EntryVerdict { Id = entry.Id, Kind = VerdictKind.Send };
                }

                if (verdict is not null)
                {
                    if (Sync is null || verdict.Kind != VerdictKind.Have)
                    {
                        verdicts!.Add(verdict);
                    }

                    if (verdict.Kind is VerdictKind.Have or VerdictKind.Skip)
                    {
                        // The sender sends nothing for this file: it is done here.
                        FilesSkipped++;
                        BytesAlreadyThere += entry.Size;
                        _progress.Credit(entry.Size);
                        _progress.AddFile();
                        break;
                    }
                }

                if (DryRun)
                {
                    // Judged, nothing more: the sender reports it and sends none of it.
                    _progress.AddFile();
                    break;
                }

                if (Sync is null && _options.OnConflict == ConflictPolicy.Skip && !root.Fresh && ConflictNames.Exists(finalPath))
                {
                    file.Discard = true;
                    file.Skipped = true;
                }

                _pending.Add(entry.Id, file);
                break;
            case EntryKind.Symlink:
                DeclareLink(entry, segments, finalPath, display, root);
                break;
            default:
                throw new ProtocolException($"'{SafePath.Printable(entry.Path)}' has unknown kind {(int)entry.Kind}");
        }
    }

    public void Finish(FileEnd end)
    {
        if (!_pending.TryGetValue(end.Id, out var file) || file.End is not null)
        {
            throw new ProtocolException($"end of file id {end.Id}, which is not declared or already finished");
        }

        _fileEnds++;
        if (MultiStream && end.Length == file.Entry.Size && file.Received < file.Entry.Size && !(file.ResumeOffset > 0 && file.Received == 0 && file.ResumeOffset == file.Entry.Size))
        {
            // Its last chunks are still on their way on other streams: finished when they arrive.
            file.End = end;
            return;
        }

        FinishNow(file, end);
    }

    private void FinishNow(IncomingFile file, FileEnd end)
    {
        _pending.Remove(end.Id);
        CloseBasis(file);
        if (file.ResumeOffset > 0 && file.Received == 0)
        {
            // No data at all: the sender accepted a prefix that is the whole file.
            ResumeOrRestart(file, file.ResumeOffset);
        }

        if (end.Length != file.Received || file.Received != file.Entry.Size || file.Frontier != file.Received && !file.Discard)
        {
            throw new ProtocolException($"'{file.DisplayPath}' ended after {file.Received} bytes; {end.Length} were sent and {file.Entry.Size} announced");
        }

        if (file.Discard)
        {
            CloseAndDelete(file);
            if (file.Skipped)
            {
                FilesSkipped++;
                _progress.AddFile();
            }

            return;
        }

        try
        {
            EnsureOpen(file);
            Span<byte> hash = stackalloc byte[ProtocolConstants.HashLength];
            file.Hasher.GetCurrentHash(hash);
            if (end.Hash is null || !hash.SequenceEqual(end.Hash))
            {
                Discard(file, $"integrity check failed: content hash {Convert.ToHexStringLower(hash)} does not match the sender's {Convert.ToHexStringLower(end.Hash ?? [])}");
                return;
            }

            ApplyMetadata(file);
            file.Handle!.Dispose();
            file.Handle = null;
            _open--;
            if (Place(file))
            {
                FilesWritten++;
                BytesWritten += file.Received;
                _progress.AddFile();
                _observer.OnFileCompleted(new FileCompleted(file.DisplayPath, file.Received));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Discard(file, ex.Message);
        }
    }

    public void Abort(FileAbort abort)
    {
        if (!_pending.Remove(abort.Id, out var file) || file.End is not null)
        {
            throw new ProtocolException($"abort of file id {abort.Id}, which is not declared or already finished");
        }

        if (MultiStream)
        {
            // Chunks of it may still be on their way on other streams: they are dropped when they arrive.
            _aborted.Add(abort.Id);
            _held -= file.Ahead?.Release() ?? 0;
        }

        Discard(file, $"the sender could not read it: {SafePath.Printable(abort.Reason)}");
    }

    public void Complete(TransferEnd end)
    {
        _senderIncomplete = end.Incomplete;
        if (end.Files != _fileEnds)
        {
            throw new ProtocolException($"the sender reports {end.Files} files, {_fileEnds} were received");
        }

        if (_pending.Count > 0)
        {
            if (MultiStream && _pending.Values.All(f => f.End is not null))
            {
                // The last chunks are still on their way on other streams.
                _transferEnd = end;
                return;
            }

            throw new ProtocolException($"the transfer ended with {_pending.Count} file(s) unfinished");
        }

        CompleteNow();
    }

    private void CompleteNow()
    {
        _transferEnd = null;
        if (Sync is { } sync)
        {
            ApplyDeletions(sync);
            if (sync.DryRun)
            {
                Completed = true;
                return;
            }
        }

        // Children first: writing into a directory changes its modification time.
        for (var i = _directories.Count - 1; i >= 0; i--)
        {
            var (path, _, entry) = _directories[i];
            try
            {
                UnixFileMode? mode = entry.Mode >= 0 ? ToSafeMode(entry.Mode) | UnixFileMode.UserExecute | UnixFileMode.UserWrite | UnixFileMode.UserRead : null;
                _tree.SetMetadata(path, mode, entry.ModifiedUnixNanoseconds);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Fail(path, $"cannot set the directory's time or permissions: {ex.Message}");
            }
        }

        Completed = true;
    }

    /// <summary>
    /// Where a declared entry goes, and its path as reported (relative to the destination). A sync's root (stored
    /// under the empty name) is the destination itself; nothing may be declared inside PeerFlow's state directory.
    /// </summary>
    private (string FinalPath, string Display) Locate(EntryInfo entry, string[] segments, RootPlan root)
    {
        // The entry's path is its checked segments joined by '/': the stored path is a cut of it, not a new join.
        string display;
        if (root.StoredName.Length > 0)
        {
            display = segments.Length == 1 ? root.StoredName : string.Concat(root.StoredName, entry.Path.AsSpan(segments[0].Length));
            segments[0] = root.StoredName;
            return (SafePath.Combine(_destination, display, entry.Path), display);
        }

        if (segments.Length == 1)
        {
            return (_destination, "");
        }

        if (segments[1] == PartialStore.StateDirectoryName)
        {
            throw new InvalidPathException(entry.Path, $"'{PartialStore.StateDirectoryName}' is reserved for PeerFlow's own files");
        }

        display = entry.Path[(segments[0].Length + 1)..];
        return (SafePath.Combine(_destination, display, entry.Path), display);
    }

    /// <summary>
    /// Closes everything unfinished after a fault or cancellation; deletes the partial files too unless
    /// <paramref name="keepPartial"/> (they are kept for a later attempt to continue).
    /// </summary>
    public void Cleanup(bool keepPartial)
    {
        foreach (var file in _pending.Values)
        {
            _held -= file.Ahead?.Release() ?? 0;
            if (keepPartial)
            {
                KeepHashedPart(file);
                CloseOnly(file);
            }
            else
            {
                CloseAndDelete(file);
            }
        }

        _pending.Clear();
    }
}
