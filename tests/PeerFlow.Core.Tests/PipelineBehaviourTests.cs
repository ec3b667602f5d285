
using PeerFlow.Buffers;
using PeerFlow.Files;
using PeerFlow.Session;
using PeerFlow.Testing;
using PeerFlow.Transfers;

namespace PeerFlow.Core.Tests;

/// <summary>How the pipelines behave under pressure, faults and cancellation.</summary>
public sealed class PipelineBehaviourTests : FileSystemTest
{
    [Test]
    public void ReceiverFault_ReachesTheSender_WithTheReceiversReason()
    {
        var source = TestTrees.CreateSmallFiles(Dir.Combine("src"), 50);
        using var sendPool = new ChunkPool();
        using var receivePool = new ChunkPool();
        var receive = new ReceiveOptions { Destination = Dest, MaxPendingFiles = 1, Pool = receivePool };
        var error = Assert.ThrowsAsync<PeerErrorException>(() => InProcess.TransferAsync([source], receive, new SendOptions { Pool = sendPool }));
        Assert.That(error!.Message, Does.Contain("declared more than 1 files"));
        Assert.That(sendPool.Outstanding, Is.Zero, "sender buffers");
        Assert.That(receivePool.Outstanding, Is.Zero, "receiver buffers");
        Assert.That(InProcess.FilesUnder(Dest).Where(f => f.EndsWith(".part", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public async Task SenderCancelledMidTransfer_BothSidesStop_NothingHalfWrittenIsLeft()
    {
        var source = Dir.Combine("src", "big");
        TestTrees.WriteFile(Path.Combine(source, "a.bin"), 64 << 20);
        using var sendPool = new ChunkPool();
        using var receivePool = new ChunkPool();
        using var cancel = new CancellationTokenSource();
        var observer = new CancelWhenStarted(cancel, afterBytes: 1);
        var send = new SendOptions { Pool = sendPool, ChunkSize = ChunkSizePolicy.Fixed(64 * 1024), ProgressInterval = TimeSpan.FromMilliseconds(1) };
        var receive = new ReceiveOptions { Destination = Dest, Pool = receivePool };

        Assert.That(async () => await InProcess.TransferAsync([source], receive, send, observer, cancel.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(observer.Cancelled, Is.True);
        Assert.That(sendPool.Outstanding, Is.Zero, "sender buffers");
        await Eventually.WaitUntilAsync(() => receivePool.Outstanding == 0);
        Assert.That(File.Exists(Path.Combine(Dest, "big", "a.bin")), Is.False, "no half-written file at the final path");
        Assert.That(InProcess.FilesUnder(Dest).Where(File.Exists).Where(f => !f.Contains("/.peerflow/", StringComparison.Ordinal)), Is.Empty, "partial data is only kept in the partial store");
    }

    [Test]
    public async Task StalledReceiver_SenderMemoryStaysBounded_AndCancelReturnsEverything()
    {
        var source = Dir.Combine("src", "big");
        TestTrees.WriteFile(Path.Combine(source, "a.bin"), 64 << 20);
        const int chunk = 64 * 1024;
        using var pool = new ChunkPool();
        await using var receiver = await StalledReceiver.StartAsync(InProcess.Loopback);
        await using var connection = await InProcess.Loopback.ConnectAsync(receiver.EndPoint);
        using var cancel = new CancellationTokenSource();
        var sending = TransferSender.SendAsync(connection, new SourceSet([source]), new SendOptions { Pool = pool, ChunkSize = ChunkSizePolicy.Fixed(chunk) }, null, cancel.Token);
        await receiver.Accepted.WaitAsync(InProcess.Timeout);

        // Wait until the sender has filled everything it may fill and stopped renting.
        var plateau = await Eventually.WaitUntilSteadyAsync(() => pool.TotalRented, samples: 100);
        Assert.That(sending.IsCompleted, Is.False, "the sender finished although nobody read");

        const int fileChunks = (64 << 20) / chunk;
        Assert.That(plateau, Is.LessThan(fileChunks / 2), "the sender kept reading the file although the peer read nothing");
        Assert.That(pool.Outstanding, Is.LessThanOrEqualTo(32), "buffers held in the pipeline while stalled");

        await cancel.CancelAsync();
        Assert.That(async () => await sending.WaitAsync(InProcess.Timeout), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(pool.Outstanding, Is.Zero);
    }

    private sealed class CancelWhenStarted(CancellationTokenSource cancel, long afterBytes) : ITransferObserver
    {
        public bool Cancelled { get; private set; }

        public void OnProgress(TransferProgress progress)
        {
            if (!Cancelled && progress.BytesDone >= afterBytes && progress.BytesDone < progress.BytesTotal)
            {
                Cancelled = true;
                cancel.Cancel();
            }
        }
    }
}
