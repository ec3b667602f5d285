namespace PeerFlow.Testing;

/// <summary>Waiting on a condition with a deadline, instead of sleeping for a fixed time.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "condition not met in time");
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// Waits until <paramref name="read"/> returns the same value <paramref name="samples"/> times in a row (polled
    /// every 10 ms) and returns it: for "and then nothing more happens" (a pause has taken hold, in-flight data has
    /// landed). Fails if the value keeps changing past the deadline.
    /// </summary>
    public static async Task<long> WaitUntilSteadyAsync(Func<long> read, int samples = 30, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        var value = read();
        var same = 0;
        while (same < samples)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the value did not settle in time");
            await Task.Delay(10);
            var next = read();
            same = next == value ? same + 1 : 0;
            value = next;
        }

        return value;
    }
}
