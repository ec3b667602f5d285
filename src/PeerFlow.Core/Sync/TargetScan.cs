using System.Collections.Concurrent;

using Microsoft.Win32.SafeHandles;

using PeerFlow.Files;

namespace PeerFlow.Sync;

/// <summary>
/// Reads a sync's target ahead of the sender's entries, on its own thread, so that judging an entry is a lookup
/// rather than a system call on the writer's thread. It starts when the offer is accepted, while the sender is
/// still setting up, and walks in the sender's order (depth first, names in ordinal order), so it stays ahead.
/// </summary>
/// <remarks>
/// Only what it found is used: a name it did not see (not read yet, created since, or spelled differently on a
/// case-folding file system) is examined directly, as before. Every status comes from <c>statx</c> relative to a
/// directory opened one level at a time without following links (its own <see cref="DirectoryTree"/>), so a
/// directory swapped for a link is never read through; names come from listing the directory's path, and a name
/// that is not in the real directory is simply not found there. A listing is dropped once the writer moves on to
/// another directory, and at most <see cref="MaxHeldEntries"/> entries are held: the walk waits for room.
/// </remarks>
internal sealed class TargetScan : IDisposable
{
    /// <summary>Most entries held at once (about 100 bytes each).</summary>
    public const int MaxHeldEntries = 65_536;

    private readonly string _root;
    private readonly PathFilter _protect;
    private readonly ConcurrentDictionary<string, Dictionary<string, PathStatus>> _listings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Dictionary<string, PathStatus>>.AlternateLookup<ReadOnlySpan<char>> _byParent;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _walk;
    private int _held;
    private string? _current;

    private TargetScan(string root, PathFilter protect)
    {
        _root = root;
        _protect = protect;
        _byParent = _listings.GetAlternateLookup<ReadOnlySpan<char>>();
        _walk = Task.Factory.StartNew(Walk, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Starts reading <paramref name="root"/> (the target, a full path); null where statx is not available.</summary>
    public static TargetScan? Start(string root, PathFilter protect) => FileCalls.Native ? new TargetScan(root, protect) : null;

    /// <summary>Entries the walk has examined (for tests and diagnostics).</summary>
    public long Examined => Interlocked.Read(ref _examined);

    private long _examined;

    /// <summary>
    /// The status of <paramref name="relative"/> (a '/'-separated path below the root) as the walk found it, or null
    /// when it has nothing to say (see the remarks). Called by the writer only, in the sender's order.
    /// </summary>
    public PathStatus? Find(string relative)
    {
        var slash = relative.LastIndexOf('/');
        var parent = slash < 0 ? ReadOnlySpan<char>.Empty : relative.AsSpan(0, slash);
        if (_current is not null && !parent.SequenceEqual(_current))
        {
            // The sender declares a directory's entries together: the one before is finished.
            Drop(_current);
            _current = null;
        }

        if (!_byParent.TryGetValue(parent, out var listing))
        {
            return null;
        }

        _current ??= parent.ToString();
        return listing.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(relative.AsSpan(slash + 1), out var status) ? status : null;
    }

    private void Drop(string parent)
    {
        if (_listings.TryRemove(parent, out var listing))
        {
            Interlocked.Add(ref _held, -listing.Count);
        }
    }

    private void Walk()
    {
        Diagnostics.PhaseTrace.Mark("read-ahead started");
        try
        {
            using var tree = new DirectoryTree(_root);
            var pending = new Stack<string>();
            pending.Push("");
            while (pending.Count > 0 && !_stop.IsCancellationRequested)
            {
                var relative = pending.Pop();
                var listing = Read(tree, relative, out var subdirectories);
                if (listing is null)
                {
                    continue;
                }

                _listings[relative] = listing;
                Interlocked.Add(ref _examined, listing.Count);
                Interlocked.Add(ref _held, listing.Count);
                while (Volatile.Read(ref _held) > MaxHeldEntries && !_stop.IsCancellationRequested)
                {
                    // Full: wait until the writer is done with a directory.
                    _stop.Token.WaitHandle.WaitOne(5);
                }

                for (var i = subdirectories.Count - 1; i >= 0; i--)
                {
                    pending.Push(subdirectories[i]);
                }
            }

            Diagnostics.PhaseTrace.Mark("read-ahead done");
        }
        catch (Exception)
        {
            // Only a head start, whatever went wrong: what it did not read is examined directly, and the failure (if it
            // is real) meets the writer there. It must never fail the transfer from here, nor its disposal.
        }
    }

    private Dictionary<string, PathStatus>? Read(DirectoryTree tree, string relative, out List<string> subdirectories)
    {
        subdirectories = [];
        SafeFileHandle handle;
        IEnumerable<string> names;
        try
        {
            handle = tree.OpenBelow(relative);
            names = DirectoryListing.Names(Path.Join(_root, relative));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var listing = new Dictionary<string, PathStatus>(StringComparer.Ordinal);
        var directories = new List<string>();
        try
        {
            foreach (var name in names)
            {
                if (_stop.IsCancellationRequested)
                {
                    return null;
                }

                var status = FileCalls.TryLStatAt(handle, name, relative);
                if (status is not { Kind: not PathKind.Missing } found)
                {
                    continue;
                }

                listing[name] = found;
                if (found.Kind == PathKind.Directory && !(relative.Length == 0 && name == Resume.PartialStore.StateDirectoryName))
                {
                    var path = relative.Length == 0 ? name : relative + "/" + name;
                    if (_protect.IsEmpty || !_protect.Excludes(path, isDirectory: true))
                    {
                        directories.Add(path);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        directories.Sort(StringComparer.Ordinal);
        subdirectories = directories;
        return listing;
    }

    /// <summary>Stops the walk and waits for it (it holds directory handles).</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _walk.Wait();
        _stop.Dispose();
        _listings.Clear();
    }
}
