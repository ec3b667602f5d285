using PeerFlow.Transfers;

namespace PeerFlow.Core.Tests;

public sealed class ProgressTrackerTests
{
    [Test]
    public void BytesCreditedFromAnEarlierAttempt_CountAsDone_ButNotAsRate()
    {
        var now = TimeSpan.Zero;
        var progress = new ProgressTracker(TransferDirection.Send, () => now) { BytesTotal = 1000 << 20 };
        progress.Snapshot();
        now += TimeSpan.FromMilliseconds(100);
        progress.Credit(500 << 20);
        progress.AddBytes(1 << 20);
        now += TimeSpan.FromMilliseconds(100);
        var snapshot = progress.Snapshot();

        Assert.That(snapshot.BytesDone, Is.EqualTo(501 << 20));
        Assert.That(snapshot.BytesPerSecond, Is.LessThan(100 << 20), "500 MiB already there must not show as 2.5 GB/s");
        Assert.That(snapshot.Eta, Is.Not.Null);
    }

    [Test]
    public void Restart_StartsCountingFromNothing_KeepingTheTotals()
    {
        var progress = new ProgressTracker(TransferDirection.Receive) { BytesTotal = 10, FilesTotal = 2 };
        progress.AddBytes(7);
        progress.AddFile();
        progress.Restart();
        var snapshot = progress.Snapshot();
        Assert.That((snapshot.BytesDone, snapshot.FilesDone, snapshot.BytesTotal, snapshot.FilesTotal), Is.EqualTo((0L, 0L, 10L, 2L)));
    }
}
