using System.Diagnostics;

namespace PeerFlow.Transfers;

/// <summary>
/// Counts a transfer's progress from pipeline threads (lock-free) and turns it into snapshots. The rate is measured
/// over the last few seconds, not since the start, so it shows what is happening now.
/// </summary>
public sealed class ProgressTracker
{
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(3);

    private readonly TransferDirection _direction;
    private readonly Func<TimeSpan> _clock;
    private readonly Queue<(TimeSpan At, long Bytes)> _samples = new();
    private readonly Lock _lock = new();
    private long _bytes;
    private long _files;

    public ProgressTracker(TransferDirection direction)
        : this(direction, StartClock())
    {
    }

    /// <summary>Tests: a tracker whose time is <paramref name="clock"/>.</summary>
    internal ProgressTracker(TransferDirection direction, Func<TimeSpan> clock)
    {
        _direction = direction;
        _clock = clock;
    }

    public long FilesTotal { get; set; }

    public long BytesTotal { get; set; }

    public long Bytes => Interlocked.Read(ref _bytes);

    public long Files => Interlocked.Read(ref _files);

    public TimeSpan Elapsed => _clock();

    private static Func<TimeSpan> StartClock()
    {
        var watch = Stopwatch.StartNew();
        return () => watch.Elapsed;
    }

    public void AddBytes(long count) => Interlocked.Add(ref _bytes, count);

    /// <summary>
    /// Counts bytes that were done before this attempt (already at the receiver) without them showing up in the
    /// rate: the rate is what moves now.
    /// </summary>
    public void Credit(long count)
    {
        lock (_lock)
        {
            Interlocked.Add(ref _bytes, count);
            var samples = _samples.ToArray();
            _samples.Clear();
            foreach (var (at, bytes) in samples)
            {
                _samples.Enqueue((at, bytes + count));
            }
        }
    }

    /// <summary>Starts counting again from nothing (a new attempt after a reconnect), keeping the totals.</summary>
    public void Restart()
    {
        lock (_lock)
        {
            Interlocked.Exchange(ref _bytes, 0);
            Interlocked.Exchange(ref _files, 0);
            _samples.Clear();
        }
    }

    public void AddFile() => Interlocked.Increment(ref _files);

    public TransferProgress Snapshot()
    {
        var now = _clock();
        var bytes = Bytes;
        double rate;
        lock (_lock)
        {
            _samples.Enqueue((now, bytes));
            while (_samples.Count > 2 && now - _samples.Peek().At > RateWindow)
            {
                _samples.Dequeue();
            }

            var (at, then) = _samples.Peek();
            var seconds = (now - at).TotalSeconds;
            rate = seconds > 0.05 ? (bytes - then) / seconds : (now.TotalSeconds > 0 ? bytes / now.TotalSeconds : 0);
        }

        TimeSpan? eta = rate > 0 && BytesTotal >= bytes ? TimeSpan.FromSeconds((BytesTotal - bytes) / rate) : null;
        return new TransferProgress(_direction, Files, FilesTotal, bytes, BytesTotal, rate, now, eta);
    }

    /// <summary>Reports a snapshot every <paramref name="interval"/> until <paramref name="cancellationToken"/> fires.</summary>
    public async Task ReportAsync(ITransferObserver observer, TimeSpan interval, CancellationToken cancellationToken)
    {
        // Cancellation disposes the timer, which ends the loop without an exception: this runs at the end of every
        // transfer, and a process's first exception costs milliseconds.
        using var timer = new PeriodicTimer(interval);
        using var stop = cancellationToken.UnsafeRegister(static t => ((PeriodicTimer)t!).Dispose(), timer);
        while (await timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            observer.OnProgress(Snapshot());
        }
    }
}
