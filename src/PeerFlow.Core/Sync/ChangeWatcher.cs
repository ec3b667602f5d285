namespace PeerFlow.Sync;

/// <summary>
/// Tells a watching sync when to run again: after file-system events in its directory have settled (no new event for
/// <see cref="Quiet"/>, or <see cref="MaxDelay"/> after the first one), and at the latest every <see cref="Rescan"/>,
/// which catches what events miss (a full inotify queue, network file systems, a watcher that could not start).
/// Events in PeerFlow's own state directory are ignored.
/// </summary>
public sealed class ChangeWatcher : IDisposable
{
    private readonly FileSystemWatcher? _watcher;
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _firstChange = -1;
    private long _lastChange = -1;

    /// <summary>Watches <paramref name="directory"/> and everything below it.</summary>
    public ChangeWatcher(string directory, TimeSpan quiet, TimeSpan maxDelay, TimeSpan rescan)
    {
        Quiet = quiet;
        MaxDelay = maxDelay;
        Rescan = rescan;
        try
        {
            _watcher = new FileSystemWatcher(directory)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.Attributes,
                InternalBufferSize = 64 * 1024,
            };
            _watcher.Changed += (_, e) => OnEvent(e.Name);
            _watcher.Created += (_, e) => OnEvent(e.Name);
            _watcher.Deleted += (_, e) => OnEvent(e.Name);
            _watcher.Renamed += (_, e) => OnEvent(e.Name);
            _watcher.Error += (_, e) =>
            {
                // Events were lost (the kernel's queue overflowed): a full rescan is the only way to be sure.
                _problem = $"file-system events were lost ({e.GetException().Message}); syncing everything";
                OnEvent(null);
            };
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            _watcher?.Dispose();
            _watcher = null;
            _problem = $"cannot watch '{directory}' for changes ({ex.Message}); rescanning every {rescan.TotalSeconds:0} s instead";
        }
    }

    public TimeSpan Quiet { get; }

    public TimeSpan MaxDelay { get; }

    public TimeSpan Rescan { get; }

    /// <summary>Events are being received (false: only the periodic rescan runs).</summary>
    public bool Watching => _watcher is not null;

    private string? _problem;

    /// <summary>What is worth telling the user since the last call (events lost, the watcher could not start); null if nothing.</summary>
    public string? TakeProblem() => Interlocked.Exchange(ref _problem, null);

    /// <summary>
    /// Waits until a sync is due: changes that have settled, or the rescan interval. Changes that happened while the
    /// previous sync ran count: they were seen after it started walking, so they may have been missed.
    /// </summary>
    /// <returns>True when changes were seen, false for a periodic rescan.</returns>
    public async Task<bool> WaitAsync(CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)Rescan.TotalMilliseconds;
        while (true)
        {
            Task changed;
            long first, last;
            lock (_lock)
            {
                changed = _changed.Task;
                first = _firstChange;
                last = _lastChange;
            }

            var now = Environment.TickCount64;
            if (first >= 0)
            {
                var due = Math.Min(last + (long)Quiet.TotalMilliseconds, first + (long)MaxDelay.TotalMilliseconds);
                if (now >= due)
                {
                    lock (_lock)
                    {
                        _firstChange = _lastChange = -1;
                        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }

                    return true;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(due - now), cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (now >= deadline)
            {
                return false;
            }

            await Task.WhenAny(changed, Task.Delay(TimeSpan.FromMilliseconds(deadline - now), cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private void OnEvent(string? name)
    {
        if (name is not null && (name == Resume.PartialStore.StateDirectoryName || name.StartsWith(Resume.PartialStore.StateDirectoryName + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
        {
            return;
        }

        TaskCompletionSource changed;
        lock (_lock)
        {
            var now = Environment.TickCount64;
            if (_firstChange < 0)
            {
                _firstChange = now;
            }

            _lastChange = now;
            changed = _changed;
        }

        changed.TrySetResult();
    }

    public void Dispose() => _watcher?.Dispose();
}
