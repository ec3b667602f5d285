using Microsoft.Win32.SafeHandles;

namespace PeerFlow.Files;

/// <summary>
/// The directories below a receiver's destination, reached one level at a time without ever following a symbolic
/// link. On 64-bit Linux every step goes through an open directory handle (<c>openat</c> with <c>O_NOFOLLOW</c>,
/// <c>mkdirat</c>, <c>renameat2</c>, <c>fchmod</c>, <c>futimens</c>), so a directory swapped for a link in the middle
/// of a transfer is refused, not followed. Elsewhere each level is checked with <c>lstat</c> before it is used.
/// </summary>
internal sealed class DirectoryTree : IDisposable
{
    private const int MaxCachedHandles = 64;

    private readonly string _root;
    private readonly SafeFileHandle? _rootHandle;
    private readonly Dictionary<string, SafeFileHandle> _handles = new(StringComparer.Ordinal);
    private readonly HashSet<string> _verified = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SafeFileHandle>.AlternateLookup<ReadOnlySpan<char>> _handleLookup;

    public DirectoryTree(string root)
    {
        _root = root;
        _handleLookup = _handles.GetAlternateLookup<ReadOnlySpan<char>>();
        _rootHandle = FileCalls.Native ? FileCalls.OpenDirectory(root) : null;
    }

    /// <summary>Makes sure <paramref name="fullPath"/> (below the root) exists, creating missing levels.</summary>
    public void Ensure(string fullPath)
    {
        TrimCache();
        if (_rootHandle is not null)
        {
            Open(Relative(fullPath), create: true);
        }
        else
        {
            EnsurePortable(fullPath);
        }
    }

    /// <summary>
    /// Moves the file at <paramref name="from"/> to <paramref name="to"/> (both below the root), replacing what is
    /// there only with <paramref name="replace"/>. False, and nothing changed, when the target exists and may not be replaced.
    /// </summary>
    public bool Move(string from, string to, bool replace)
    {
        TrimCache();
        if (_rootHandle is null)
        {
            EnsurePortable(Path.GetDirectoryName(to)!);
            if (replace)
            {
                FileCalls.RenameReplacing(from, to);
                return true;
            }

            return FileCalls.TryRenameNoReplace(from, to);
        }

        var source = Open(Relative(Path.GetDirectoryName(from)!), create: false);
        var target = Open(Relative(Path.GetDirectoryName(to)!), create: true);
        return FileCalls.RenameAt(source, Path.GetFileName(from), target, Path.GetFileName(to), replace, Relative(to));
    }

    /// <summary>
    /// Makes <paramref name="fullPath"/> (below the root) a symbolic link to <paramref name="target"/>. A link already
    /// there with that target is left as it is; anything else there is replaced only with <paramref name="replace"/>
    /// (a directory never: rename(2) refuses). The link is never followed: nothing is written where it points.
    /// </summary>
    /// <returns>False, and nothing changed, when something else is there and may not be replaced.</returns>
    public bool CreateLink(string fullPath, string target, bool replace)
    {
        TrimCache();
        var name = Path.GetFileName(fullPath);
        if (_rootHandle is null)
        {
            EnsurePortable(Path.GetDirectoryName(fullPath)!);
            var existing = new FileInfo(fullPath);
            if (existing.Attributes != (FileAttributes)(-1))
            {
                if (existing.LinkTarget == target)
                {
                    return true;
                }

                if (!replace || (existing.Attributes & FileAttributes.Directory) != 0)
                {
                    return false;
                }

                existing.Delete();
            }

            File.CreateSymbolicLink(fullPath, target);
            return true;
        }

        var display = Relative(fullPath);
        var parent = Open(Relative(Path.GetDirectoryName(fullPath)!), create: true);
        if (FileCalls.SymlinkAt(target, parent, name, display))
        {
            return true;
        }

        if (FileCalls.ReadLinkAt(parent, name) == target)
        {
            return true;
        }

        if (!replace)
        {
            return false;
        }

        // Made beside it under a temporary name, then renamed over it: never a moment without either.
        var temporary = $".peerflow-link-{Guid.NewGuid():N}";
        FileCalls.SymlinkAt(target, parent, temporary, display);
        try
        {
            return FileCalls.RenameAt(parent, temporary, parent, name, replace: true, display);
        }
        catch (IOException)
        {
            FileCalls.UnlinkAt(parent, temporary);
            throw;
        }
    }

    /// <summary>
    /// Deletes the file or symbolic link at <paramref name="fullPath"/> (below the root; a link itself, never what it
    /// points to), or, for a directory, first moves it whole to <paramref name="stagingPath"/> (below the root, where
    /// nobody else writes) and removes it there, so nothing is ever removed through a link swapped into the tree.
    /// </summary>
    public void Delete(string fullPath, bool isDirectory, string stagingPath)
    {
        TrimCache();
        if (isDirectory)
        {
            if (Move(fullPath, stagingPath, replace: false))
            {
                // .NET's recursive delete removes links inside, never what they point to.
                Directory.Delete(stagingPath, recursive: true);
            }

            return;
        }

        if (_rootHandle is null)
        {
            var info = new FileInfo(fullPath);
            if (info.Attributes != (FileAttributes)(-1) && ((info.Attributes & FileAttributes.Directory) == 0 || (info.Attributes & FileAttributes.ReparsePoint) != 0))
            {
                EnsurePortable(Path.GetDirectoryName(fullPath)!);
                info.Delete();
            }

            return;
        }

        var parent = Open(Relative(Path.GetDirectoryName(fullPath)!), create: false);
        FileCalls.Remove(parent, Path.GetFileName(fullPath), Relative(fullPath));
    }

    /// <summary>
    /// What is at <paramref name="relative"/> (a '/'-separated path below the root, as a transfer stores it), never
    /// following a link, looked up from its open parent directory; <see cref="PathKind.Missing"/> when it or its parent
    /// is not there. The sync's per-file question: no full path is built, and a cached parent costs no allocation.
    /// </summary>
    public PathStatus StatusBelow(string relative)
    {
        if (_rootHandle is null)
        {
            return FileCalls.LStat(Path.Join(_root, relative));
        }

        var slash = relative.LastIndexOf('/');
        var parentPath = slash < 0 ? ReadOnlySpan<char>.Empty : relative.AsSpan(0, slash);
        if (_missingParent is not null && parentPath.SequenceEqual(_missingParent))
        {
            return default;
        }

        TrimCache();
        SafeFileHandle parent;
        if (slash < 0)
        {
            parent = _rootHandle;
        }
        else if (!_handleLookup.TryGetValue(parentPath, out parent!))
        {
            try
            {
                parent = Open(parentPath.ToString(), create: false);
            }
            catch (IOException)
            {
                // Not there (a dry run into a new directory), or not a directory (a file where a directory goes):
                // either way nothing is at the path itself.
                _missingParent = parentPath.ToString();
                return default;
            }
        }

        return FileCalls.TryLStatAt(parent, relative.AsSpan(slash + 1), slash < 0 ? "" : relative[..slash]) ?? FileCalls.LStat(Path.Join(_root, relative));
    }

    private string? _missingParent;

    /// <summary>
    /// The open directory at <paramref name="relative"/> (below the root, '/'-separated), reached without following a
    /// link. Valid until the next call on this tree. <see cref="IOException"/> when it is not there or not a directory.
    /// </summary>
    public SafeFileHandle OpenBelow(string relative)
    {
        TrimCache();
        return _rootHandle is null ? throw new IOException("directory handles need Linux") : Open(relative, create: false);
    }

    /// <summary>Sets a directory's permission bits (when given) and modification time, never through a link.</summary>
    public void SetMetadata(string fullPath, UnixFileMode? mode, long modifiedUnixNanoseconds)
    {
        TrimCache();
        if (_rootHandle is null)
        {
            EnsurePortable(fullPath);
            if (mode is { } bits && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(fullPath, bits);
            }

            Directory.SetLastWriteTimeUtc(fullPath, UnixTime.FromNanoseconds(modifiedUnixNanoseconds));
            return;
        }

        var handle = Open(Relative(fullPath), create: false);
        if (mode is { } unixMode)
        {
            FileCalls.SetMode(handle, unixMode);
        }

        FileCalls.SetModifiedTime(handle, modifiedUnixNanoseconds);
    }

    private SafeFileHandle Open(string relative, bool create)
    {
        if (relative.Length == 0)
        {
            return _rootHandle!;
        }

        if (_handles.TryGetValue(relative, out var cached))
        {
            return cached;
        }

        var slash = relative.LastIndexOf('/');
        var parent = slash < 0 ? _rootHandle! : Open(relative[..slash], create);
        var handle = FileCalls.OpenChildDirectory(parent, relative[(slash + 1)..], create, relative);
        _handles[relative] = handle;
        return handle;
    }

    /// <summary>
    /// Bounds the open handles between operations (never during one, which may still use them). Depth-first order
    /// means the handles still needed are few and recent: start over rather than track use.
    /// </summary>
    private void TrimCache()
    {
        if (_handles.Count >= MaxCachedHandles)
        {
            DisposeHandles();
        }
    }

    private string Relative(string fullPath)
    {
        var relative = Path.GetRelativePath(_root, fullPath);
        return relative == "." ? "" : relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    private void EnsurePortable(string path)
    {
        if (path == _root || _verified.Contains(path))
        {
            return;
        }

        EnsurePortable(Path.GetDirectoryName(path)!);
        var info = new DirectoryInfo(path);
        if (info.Attributes != (FileAttributes)(-1) && (info.Attributes & FileAttributes.ReparsePoint) != 0)
        {
            throw new IOException($"refusing to write through the symbolic link '{path}'");
        }

        if (!info.Exists)
        {
            if (File.Exists(path))
            {
                throw new IOException($"'{path}' exists and is not a directory");
            }

            Directory.CreateDirectory(path);
        }

        _verified.Add(path);
    }

    private void DisposeHandles()
    {
        foreach (var handle in _handles.Values)
        {
            handle.Dispose();
        }

        _handles.Clear();
    }

    public void Dispose()
    {
        DisposeHandles();
        _rootHandle?.Dispose();
    }
}
