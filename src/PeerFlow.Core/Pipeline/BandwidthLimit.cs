using System.Threading.RateLimiting;

namespace PeerFlow.Pipeline;

/// <summary>
/// Paces the sender's data frames to a rate in bytes per second (after compression: what goes on the wire), with a
/// token bucket from System.Threading.RateLimiting refilled every 50 ms. The bucket starts empty, so even a short
/// transfer keeps to the rate; it holds at most one frame's worth, so a pause is never followed by a burst.
/// </summary>
internal sealed class BandwidthLimit : IDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(50);

    private readonly TokenBucketRateLimiter _bucket;
    private readonly int _capacity;

    public BandwidthLimit(long bytesPerSecond, int largestFrame)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytesPerSecond, 1);
        var perPeriod = (int)Math.Clamp(bytesPerSecond * Period.Ticks / TimeSpan.TicksPerSecond, 1, int.MaxValue);
        _capacity = Math.Max(perPeriod, largestFrame);
        _bucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = _capacity,
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = Period,
            QueueLimit = _capacity,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
        using var drained = _bucket.AttemptAcquire(_capacity);
    }

    /// <summary>Waits until <paramref name="bytes"/> may go out.</summary>
    public async ValueTask WaitAsync(int bytes, CancellationToken cancellationToken)
    {
        using var lease = await _bucket.AcquireAsync(Math.Clamp(bytes, 1, _capacity), cancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            throw new InvalidOperationException("the bandwidth limiter refused a frame (its queue is full)");
        }
    }

    public void Dispose() => _bucket.Dispose();
}
