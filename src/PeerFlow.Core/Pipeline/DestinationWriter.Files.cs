using PeerFlow.Files;
using PeerFlow.Protocol.Messages;
using PeerFlow.Resume;
using PeerFlow.Transfers;

namespace PeerFlow.Pipeline;

/// <summary>File-system steps of <see cref="DestinationWriter"/>: directories, temporary files, placing, metadata.</summary>
internal sealed partial class DestinationWriter
{
    private string? _lastVerifiedParent;

    /// <summary>Creates <paramref name="path"/> and its missing parents, one level at a time, never through a link.</summary>
    private void EnsureDirectory(string path) => _tree.Ensure(path);

    private void EnsureOpen(IncomingFile file)
    {
        if (file.Handle is not null)
        {
            return;
        }

        if (_open >= _options.MaxOpenFiles)
        {
            throw new Protocol.ProtocolException($"the peer keeps more than {_options.MaxOpenFiles} files open at once");
        }

        var parent = Path.GetDirectoryName(file.FinalPath)!;
        if (parent != _lastVerifiedParent)
        {
            EnsureDirectory(parent);
            _lastVerifiedParent = parent;
        }

        var size = file.Entry.Size;
        var partial = _store!.PartialPath(file.Entry.Id);
        // Created exclusively: it never follows or reuses anything already at the partial file's name.
        UnixFileMode? mode = file.Entry.Mode >= 0 ? ToSafeMode(file.Entry.Mode) : null;
        file.Handle = FileCalls.CreateNew(partial, size >= PreallocateThreshold ? size : 0, mode, out var modeIsExact);
        file.TempPath = partial;
        file.ModeIsExact = modeIsExact;
        _open++;
        if (size >= PartialStore.JournaledFileThreshold)
        {
            _store.RecordFile(partial, file.DisplayPath, size, file.Entry.ModifiedUnixNanoseconds);
        }
    }

    /// <summary>
    /// The verdict on a declared file when verdicts are on: resume from a partial file an earlier attempt kept (its
    /// content hashed now, the hash primed for the rest), already here (same size and time at the final path), or
    /// kept by the skip policy. Null: send it.
    /// </summary>
    private EntryVerdict? Judge(IncomingFile file, RootPlan root)
    {
        var entry = file.Entry;
        if (entry.Size > 0
            && _store?.Previous?.Files.GetValueOrDefault(file.DisplayPath) is { } kept
            && kept.Size == entry.Size
            && kept.ModifiedUnixNanoseconds == entry.ModifiedUnixNanoseconds
            && TryReopen(file, Path.Join(_store.Directory, kept.PartialName)) is { } prefixHash)
        {
            return new EntryVerdict { Id = entry.Id, Kind = VerdictKind.Resume, Offset = file.ResumeOffset, PrefixHash = prefixHash };
        }

        if (Sync is { } sync)
        {
            return JudgeSync(file, sync);
        }

        var existing = new FileInfo(file.FinalPath);
        if (existing.Attributes == (FileAttributes)(-1) || (existing.Attributes & (FileAttributes.Directory | FileAttributes.ReparsePoint)) != 0)
        {
            return null;
        }

        if (existing.Length == entry.Size && existing.LastWriteTimeUtc == UnixTime.FromNanoseconds(entry.ModifiedUnixNanoseconds))
        {
            return new EntryVerdict { Id = entry.Id, Kind = VerdictKind.Have };
        }

        return _options.OnConflict == ConflictPolicy.Skip && !root.Fresh ? new EntryVerdict { Id = entry.Id, Kind = VerdictKind.Skip } : null;
    }

    /// <summary>Opens a kept partial file and hashes what it holds; null if it is missing, empty or not plausible.</summary>
    private byte[]? TryReopen(IncomingFile file, string partial)
    {
        var info = new FileInfo(partial);
        if (!info.Exists || (info.Attributes & FileAttributes.ReparsePoint) != 0 || info.Length == 0 || info.Length > file.Entry.Size)
        {
            return null;
        }

        if (_open >= _options.MaxOpenFiles)
        {
            return null;
        }

        var handle = File.OpenHandle(partial, FileMode.Open, FileAccess.ReadWrite);
        var length = RandomAccess.GetLength(handle);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1024 * 1024);
        try
        {
            for (long at = 0; at < length;)
            {
                var read = FileCalls.Read(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - at)), at);
                if (read == 0)
                {
                    break;
                }

                file.Hasher.Append(buffer.AsSpan(0, read));
                at += read;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            handle.Dispose();
            file.Hasher.Reset();
            return null;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        file.Handle = handle;
        file.TempPath = partial;
        file.ResumeOffset = length;
        _open++;
        return file.Hasher.GetCurrentHash();
    }

    /// <summary>
    /// The first data of a file offered for resume: at the offered offset, the sender proved the prefix is its own
    /// and continues; at 0, it did not, and the partial file starts over.
    /// </summary>
    private void ResumeOrRestart(IncomingFile file, long offset)
    {
        if (offset == file.ResumeOffset)
        {
            file.Received = file.ResumeOffset;
            file.Frontier = file.ResumeOffset;
            BytesAlreadyThere += file.ResumeOffset;
            _progress.Credit(file.ResumeOffset);
        }
        else if (offset == 0)
        {
            if (file.Handle is not null)
            {
                RandomAccess.SetLength(file.Handle, 0);
            }

            file.Hasher.Reset();
        }
        else
        {
            throw new Protocol.ProtocolException($"the first data for '{file.DisplayPath}' is at offset {offset}; after a resume verdict it must be at {file.ResumeOffset} (continue) or 0 (start over)");
        }

        file.ResumeOffset = 0;
    }

    private static void ApplyMetadata(IncomingFile file)
    {
        var entry = file.Entry;
        if (entry.Mode >= 0 && !file.ModeIsExact && !OperatingSystem.IsWindows())
        {
            // The umask took bits away at creation: set them explicitly.
            File.SetUnixFileMode(file.Handle!, ToSafeMode(entry.Mode));
        }

        FileCalls.SetModifiedTime(file.Handle!, entry.ModifiedUnixNanoseconds);
    }

    /// <summary>Permission bits only: a peer never gets to plant set-uid, set-gid or sticky files.</summary>
    private static UnixFileMode ToSafeMode(int mode) => (UnixFileMode)(mode & 0x1FF);

    /// <summary>Moves a verified temporary file to its final name per the conflict policy. False if it was not placed.</summary>
    private bool Place(IncomingFile file)
    {
        var temp = file.TempPath!;
        if (file.DirectoryInTheWay && !ClearTheWay(file.FinalPath, file.DisplayPath, EntryKind.Directory))
        {
            Discard(file, "a directory is where this file goes; sync with --delete to replace it");
            return false;
        }

        if (_options.OnConflict == ConflictPolicy.Overwrite || file.FreshRoot || Sync is not null)
        {
            // rename(2): atomic, and it replaces a link itself rather than writing through it. In a root this
            // transfer created, nothing but this transfer's own files can be there, so no check is needed.
            _tree.Move(temp, file.FinalPath, replace: true);
            file.TempPath = null;
            return true;
        }

        // Checking for a conflict and renaming are one atomic step: nothing that appears meanwhile is replaced.
        if (_tree.Move(temp, file.FinalPath, replace: false))
        {
            file.TempPath = null;
            return true;
        }

        switch (_options.OnConflict)
        {
            case ConflictPolicy.Skip:
                File.Delete(temp);
                file.TempPath = null;
                FilesSkipped++;
                _progress.AddFile();
                return false;
            case ConflictPolicy.Rename:
                var directory = Path.GetDirectoryName(file.FinalPath)!;
                var name = ConflictNames.FirstFree(directory, Path.GetFileName(file.FinalPath), isDirectory: false);
                if (!_tree.Move(temp, Path.Join(directory, name), replace: false))
                {
                    Discard(file, $"'{name}' appeared while the file was being stored");
                    return false;
                }

                file.TempPath = null;
                return true;
            default:
                Discard(file, "a file with that name already exists");
                return false;
        }
    }

    private void Discard(IncomingFile file, string reason)
    {
        if (!file.Discard)
        {
            file.Discard = true;
            Fail(file.DisplayPath, reason);
        }

        CloseAndDelete(file);
    }

    private void CloseOnly(IncomingFile file)
    {
        CloseBasis(file);
        if (file.Handle is not null)
        {
            file.Handle.Dispose();
            file.Handle = null;
            _open--;
        }
    }

    private void CloseAndDelete(IncomingFile file)
    {
        CloseBasis(file);
        if (file.Handle is not null)
        {
            file.Handle.Dispose();
            file.Handle = null;
            _open--;
        }

        if (file.TempPath is not null)
        {
            try
            {
                File.Delete(file.TempPath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }

            file.TempPath = null;
        }
    }

    /// <summary>Symbolic links are created when declared (they carry no data), only if allowed and pointing inside.</summary>
    private void DeclareLink(EntryInfo entry, string[] segments, string finalPath, string display, RootPlan root)
    {
        if (segments.Length < 2)
        {
            throw new InvalidPathException(entry.Path, "a root cannot be a symbolic link");
        }

        if (!_options.AllowSymlinks)
        {
            Fail(display, "symbolic link not created: this receiver does not allow them (receive --allow-symlinks)");
            return;
        }

        // A sync's root is the destination itself: its links are resolved from below it, and may not leave it.
        if (SafePath.UnsafeLinkTarget(root.StoredName.Length == 0 ? segments[1..] : segments, entry.LinkTarget, Resume.PartialStore.StateDirectoryName) is { } unsafeTarget)
        {
            Fail(display, $"symbolic link not created: {unsafeTarget}");
            return;
        }

        if (DryRun)
        {
            return;
        }

        if (Sync is null && _options.OnConflict == ConflictPolicy.Skip && !root.Fresh && ConflictNames.Exists(finalPath))
        {
            FilesSkipped++;
            return;
        }

        try
        {
            if (_tree.CreateLink(finalPath, entry.LinkTarget!, replace: Sync is not null || (!root.Fresh && _options.OnConflict == ConflictPolicy.Overwrite)))
            {
                LinksCreated++;
            }
            else
            {
                Fail(display, "symbolic link not created: something else is already there");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fail(display, ex.Message);
        }
    }

    private void Fail(string path, string reason)
    {
        if (_failures.Count < MaxReportedFailures)
        {
            _failures.Add(new TransferFailure(SafePath.Printable(path), reason));
        }
    }
}
