using PeerFlow.Protocol.Messages;

namespace PeerFlow.Files;

/// <summary>
/// The paths a user asked to send, resolved to roots. Each root is sent under its own name; entries are produced
/// depth-first, a directory before its children, in ordinal name order, so that nothing needs to be held in memory.
/// </summary>
public sealed class SourceSet
{
    private readonly List<(string FullPath, string Name, bool IsDirectory)> _roots = [];
    private readonly Dictionary<string, PathFilter> _filters = new(StringComparer.Ordinal);
    private (long Files, long Directories, long Bytes)? _totals;
    private (List<SourceEntry> Entries, WalkLog Log)? _replay;

    /// <summary>
    /// Resolves <paramref name="paths"/>. Symbolic links found below a root are skipped with a warning, or with
    /// <paramref name="includeLinks"/> sent as links (their target, not what it points to); a root that is a link is
    /// followed, as the user named it.
    /// </summary>
    /// <exception cref="ArgumentException">A path does not exist, has no name (e.g. '/'), or two roots share a name.</exception>
    public SourceSet(IEnumerable<string> paths, bool includeLinks = false, PathFilter? filter = null)
    {
        IncludeLinks = includeLinks;
        Filter = filter ?? PathFilter.None;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
            var isDirectory = Directory.Exists(full);
            if (!isDirectory && !File.Exists(full))
            {
                throw new ArgumentException($"'{path}' does not exist");
            }

            var name = Path.GetFileName(full);
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException($"'{path}' has no name to send it under; name a directory below it");
            }

            if (!names.Add(name))
            {
                throw new ArgumentException($"two sources are both named '{name}'; send them separately");
            }

            _roots.Add((full, name, isDirectory));
            var ignoreFile = Path.Join(full, PathFilter.IgnoreFileName);
            if (isDirectory && File.Exists(ignoreFile))
            {
                try
                {
                    _filters[full] = Filter.WithIgnoreFile(File.ReadAllLines(ignoreFile));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
                {
                    throw new ArgumentException($"{ignoreFile}: {ex.Message}", ex);
                }
            }
        }

        if (_roots.Count == 0)
        {
            throw new ArgumentException("nothing to send");
        }
    }

    public IReadOnlyList<string> RootNames => _roots.ConvertAll(r => r.Name);

    /// <summary>Symbolic links below the roots are sent as links.</summary>
    public bool IncludeLinks { get; }

    /// <summary>
    /// What below each directory root is left out (<see cref="PathFilter"/>), after the rules of the root's own
    /// <see cref="PathFilter.IgnoreFileName"/> if it has one. Roots themselves are always sent: the user named them.
    /// </summary>
    public PathFilter Filter { get; }

    /// <summary>The rules that apply below the root at <paramref name="rootPath"/> (one of <see cref="RootPaths"/>): its ignore file's, then <see cref="Filter"/>'s.</summary>
    public PathFilter FilterOf(string rootPath) => _filters.GetValueOrDefault(rootPath, Filter);

    /// <summary>The full paths of the roots, in the order given.</summary>
    public IReadOnlyList<string> RootPaths => _roots.ConvertAll(r => r.FullPath);

    /// <summary>Problems met while enumerating (unreadable directories, skipped special files).</summary>
    public IList<string> Warnings { get; } = [];

    /// <summary>The last enumeration could not read some directory: what it produced is not the whole tree (a sync must not delete).</summary>
    public bool Incomplete { get; private set; }

    /// <summary>Leave out PeerFlow's state directory (<c>.peerflow</c>) at the top of each root: a sync of a directory that also receives transfers mirrors its files, not its partial transfers.</summary>
    public bool SkipStateDirectory { get; init; }

    /// <summary>
    /// Counts what <see cref="Enumerate"/> will produce. Walks the tree once; later calls return the same totals
    /// (call it before connecting, so a large tree does not keep a peer waiting). A tree of up to
    /// <see cref="RememberedEntries"/> entries is remembered, and the next <see cref="Enumerate"/> replays it instead of
    /// walking again (a sync of a tree that has not changed is mostly this walk).
    /// </summary>
    public (long Files, long Directories, long Bytes) Measure()
    {
        if (_totals is { } totals)
        {
            return totals;
        }

        long files = 0, directories = 0, bytes = 0;
        var log = new WalkLog();
        List<SourceEntry>? remembered = [];
        foreach (var entry in EnumerateCore(log))
        {
            if (entry.Kind == EntryKind.Directory)
            {
                directories++;
            }
            else if (entry.Kind == EntryKind.File)
            {
                files++;
                bytes += entry.Size;
            }

            remembered?.Add(entry);
            if (remembered?.Count > RememberedEntries)
            {
                remembered = null;
            }
        }

        _replay = remembered is null ? null : (remembered, log);
        _totals = (files, directories, bytes);
        return (files, directories, bytes);
    }

    /// <summary>
    /// Starts walking the tree on its own thread, at most <see cref="WalkAhead"/> entries ahead; the next
    /// <see cref="Enumerate"/> takes them from there as they come. A sync calls it first thing, so the walk overlaps
    /// with loading the transport, connecting and the handshake. Whoever starts a walk stops it
    /// (<see cref="StopWalking"/>) when the transfer ends: a walk nobody takes would otherwise wait, with what it
    /// walked, for ever.
    /// </summary>
    public void StartWalking()
    {
        var walking = new Walking(new System.Collections.Concurrent.BlockingCollection<List<SourceEntry>>(Math.Max(1, WalkAhead / HandOver)), new WalkLog(), new CancellationTokenSource());
        Interlocked.Exchange(ref _walking, walking)?.Stop.Cancel();
        // Its own thread, not a pool worker: the walk runs for the whole of a large tree, and the pool's few
        // workers must stay free for the transfer's own continuations.
        WalkThread = Task.Factory.StartNew(() =>
        {
            // Handed over in groups, not one by one: a hand-over can wake the other thread, and that costs more than
            // examining the entry. A group also goes when it is a few milliseconds old, so a slow disk still streams.
            var group = new List<SourceEntry>(HandOver);
            var started = 0L;
            Diagnostics.PhaseTrace.Mark("walk thread");
            try
            {
                foreach (var entry in EnumerateCore(walking.Log))
                {
                    if (group.Count == 0)
                    {
                        started = System.Diagnostics.Stopwatch.GetTimestamp();
                    }

                    group.Add(entry);
                    if (group.Count == HandOver || System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks > HandOverAge)
                    {
                        walking.Entries.Add(group, walking.Stop.Token);
                        group = new List<SourceEntry>(HandOver);
                    }
                }
            }
            catch (OperationCanceledException) when (walking.Stop.IsCancellationRequested)
            {
                // Stopped: nobody takes the rest. Should anyone read on, what they got is not the whole tree.
                walking.Log.Incomplete = true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                walking.Log.Warnings.Add($"cannot walk the sources: {ex.Message}");
                walking.Log.Incomplete = true;
            }
            finally
            {
                Diagnostics.PhaseTrace.Mark("walk done");
                try
                {
                    if (group.Count > 0)
                    {
                        walking.Entries.Add(group, walking.Stop.Token);
                    }
                }
                catch (OperationCanceledException)
                {
                    // Stopped: see above.
                    walking.Log.Incomplete = true;
                }

                walking.Entries.CompleteAdding();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>
    /// Stops a walk started by <see cref="StartWalking"/> that <see cref="Enumerate"/> has not taken; a later
    /// <see cref="Enumerate"/> walks afresh. A walk that was taken is stopped by its reader when it leaves early.
    /// </summary>
    public void StopWalking() => Interlocked.Exchange(ref _walking, null)?.Stop.Cancel();

    /// <summary>Entries a started walk may run ahead of <see cref="Enumerate"/> (<see cref="RememberedEntries"/>).</summary>
    internal int WalkAhead { get; init; } = RememberedEntries;

    /// <summary>The last walk started (for tests: it ends once the walk is done or stopped).</summary>
    internal Task? WalkThread { get; private set; }

    private const int HandOver = 256;
    private const long HandOverAge = TimeSpan.TicksPerMillisecond * 5;

    private Walking? _walking;

    private sealed record Walking(System.Collections.Concurrent.BlockingCollection<List<SourceEntry>> Entries, WalkLog Log, CancellationTokenSource Stop);

    /// <summary>The totals of <see cref="Measure"/> if it ran; null otherwise.</summary>
    public (long Files, long Directories, long Bytes)? Totals => _totals;

    /// <summary>Most entries <see cref="Measure"/> keeps for the next <see cref="Enumerate"/> (about 200 bytes each).</summary>
    public const int RememberedEntries = 250_000;

    /// <summary>
    /// Every entry, roots first, each directory before its children. With <paramref name="collectWarnings"/>, what
    /// could not be walked is added to <see cref="Warnings"/> and <see cref="Incomplete"/> when the walk ends.
    /// </summary>
    public IEnumerable<SourceEntry> Enumerate(bool collectWarnings = true)
    {
        if (collectWarnings && Interlocked.Exchange(ref _walking, null) is { } walking)
        {
            try
            {
                foreach (var group in walking.Entries.GetConsumingEnumerable())
                {
                    foreach (var entry in group)
                    {
                        yield return entry;
                    }
                }
            }
            finally
            {
                // Left before the end (a failed transfer): the walk must not wait for a reader that is gone.
                walking.Stop.Cancel();
            }

            // Read to the end: the walk has completed adding and is done with its queue.
            walking.Entries.Dispose();
            Report(walking.Log);
            yield break;
        }

        if (collectWarnings && _replay is { } replay)
        {
            _replay = null;
            foreach (var entry in replay.Entries)
            {
                yield return entry;
            }

            Report(replay.Log);
            yield break;
        }

        var log = collectWarnings ? new WalkLog() : null;
        foreach (var entry in EnumerateCore(log))
        {
            yield return entry;
        }

        if (log is not null)
        {
            Report(log);
        }
    }

    private void Report(WalkLog log)
    {
        foreach (var warning in log.Warnings)
        {
            Warnings.Add(warning);
        }

        Incomplete = log.Incomplete;
    }

    private IEnumerable<SourceEntry> EnumerateCore(WalkLog? log)
    {
        foreach (var (fullPath, name, isDirectory) in _roots)
        {
            var info = isDirectory ? (FileSystemInfo)new DirectoryInfo(fullPath) : new FileInfo(fullPath);
            yield return ToEntry(info, name);
            if (isDirectory)
            {
                foreach (var entry in Walk(fullPath, name, _filters.GetValueOrDefault(fullPath, Filter), log))
                {
                    yield return entry;
                }
            }
        }
    }

    /// <summary>What one walk could not cover.</summary>
    private sealed class WalkLog
    {
        public List<string> Warnings { get; } = [];

        public bool Incomplete { get; set; }
    }

    private IEnumerable<SourceEntry> Walk(string directory, string relative, PathFilter filter, WalkLog? log)
    {
        var rootPrefix = relative.Length + 1;
        var pending = new Stack<(string Full, string Relative)>();
        pending.Push((directory, relative));
        while (pending.Count > 0)
        {
            var (full, rel) = pending.Pop();
            List<(string Name, PathStatus Status)> children;
            try
            {
                children = DirectoryListing.Read(full);
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
            {
                log?.Warnings.Add($"cannot read directory '{full}': {ex.Message}");
                log?.Incomplete = true;
                continue;
            }

            var subdirectories = new List<(string, string)>();
            foreach (var (name, status) in children)
            {
                var childRelative = rel + "/" + name;
                var childFull = Path.Join(full, name);
                if (SkipStateDirectory && ReferenceEquals(rel, relative) && name == Resume.PartialStore.StateDirectoryName)
                {
                    continue;
                }

                if (!filter.IsEmpty && filter.Excludes(childRelative[rootPrefix..], status.Kind == PathKind.Directory))
                {
                    continue;
                }

                switch (status.Kind)
                {
                    case PathKind.Link:
                        if (IncludeLinks && LinkEntry(new FileInfo(childFull), childRelative) is { } link)
                        {
                            yield return link;
                        }
                        else
                        {
                            log?.Warnings.Add($"skipped symbolic link '{childFull}'");
                        }

                        break;
                    case PathKind.Directory:
                        yield return ToEntry(status, childFull, childRelative);
                        subdirectories.Add((childFull, childRelative));
                        break;
                    case PathKind.File:
                        yield return ToEntry(status, childFull, childRelative);
                        break;
                    case PathKind.Other:
                        log?.Warnings.Add($"skipped device file '{childFull}'");
                        break;
                }
            }

            // Depth-first, children in name order: push in reverse so the first name is walked first.
            for (var i = subdirectories.Count - 1; i >= 0; i--)
            {
                pending.Push(subdirectories[i]);
            }
        }
    }

    private static SourceEntry ToEntry(PathStatus status, string fullPath, string relative) => new()
    {
        RelativePath = relative,
        FullPath = fullPath,
        Kind = status.Kind == PathKind.Directory ? EntryKind.Directory : EntryKind.File,
        Size = status.Kind == PathKind.File ? status.Size : 0,
        ModifiedUnixNanoseconds = status.ModifiedUnixNanoseconds,
        Mode = status.Mode,
    };

    private static SourceEntry? LinkEntry(FileSystemInfo info, string relative)
    {
        var target = info.LinkTarget;
        if (string.IsNullOrEmpty(target))
        {
            return null;
        }

        return new SourceEntry
        {
            RelativePath = relative,
            FullPath = info.FullName,
            Kind = EntryKind.Symlink,
            ModifiedUnixNanoseconds = UnixTime.ToNanoseconds(info.LastWriteTimeUtc),
            LinkTarget = OperatingSystem.IsWindows() ? target.Replace('\\', '/') : target,
        };
    }

    private static SourceEntry ToEntry(FileSystemInfo info, string relative) => new()
    {
        RelativePath = relative,
        FullPath = info.FullName,
        Kind = info is DirectoryInfo ? EntryKind.Directory : EntryKind.File,
        Size = info is FileInfo file ? file.Length : 0,
        ModifiedUnixNanoseconds = UnixTime.ToNanoseconds(info.LastWriteTimeUtc),
        Mode = OperatingSystem.IsWindows() ? -1 : (int)info.UnixFileMode,
    };
}
