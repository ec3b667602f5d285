using PeerFlow.Files;
using PeerFlow.Resume;
using PeerFlow.Session;
using PeerFlow.Testing;
using PeerFlow.Transfers;

namespace PeerFlow.Core.Tests;

/// <summary>Pause, resume and cancel told to the peer; resuming what an interrupted transfer left.</summary>
public sealed class LifecycleTests : FileSystemTest
{
    private static readonly SendOptions Send = new() { ChunkSize = ChunkSizePolicy.Fixed(64 * 1024), ProgressInterval = TimeSpan.FromMilliseconds(5) };

    /// <summary>
    /// For a run that a progress callback interrupts (pause, cancel at N bytes): paced at 24 MiB/s, so the interruption
    /// lands mid-transfer even when a loaded machine delays the callback; unpaced, tens of MiB can cross in-process
    /// before it runs. That is what failed once in CI: the receiver's pause met the transfer's end, and the sender never
    /// saw Paused (it failed on the Paused → Completed step then, now legal: see the test after it).
    /// </summary>
    private static readonly SendOptions Paced = new() { ChunkSize = Send.ChunkSize, ProgressInterval = Send.ProgressInterval, BandwidthLimit = 24 << 20 };

    private ReceiveOptions Receive => new() { Destination = Dest, ProgressInterval = TimeSpan.FromMilliseconds(5) };

    private string StateDirectory => Path.Combine(Dest, PartialStore.StateDirectoryName);

    [Test]
    public async Task PausedBeforeStart_BothSidesReportPaused_NoDataFlows_ThenResumeCompletes()
    {
        var source = Dir.Combine("src", "big");
        TestTrees.WriteFile(Path.Combine(source, "a.bin"), 8 << 20);
        await using var pair = new LifecyclePair();
        await pair.SendControl.PauseAsync();
        await pair.StartAsync(source, Receive, Send);

        await Eventually.WaitUntilAsync(() => pair.Sender.Current == TransferState.Paused && pair.Receiver.Current == TransferState.Paused);
        Assert.That(pair.Receiver.Changes.Last().Reason, Is.EqualTo("paused by the sender"));
        var received = await Eventually.WaitUntilSteadyAsync(() => pair.Receiver.Last?.BytesDone ?? 0);
        Assert.That(received, Is.Zero, "no data frame flows while paused");

        await pair.SendControl.ResumeAsync();
        var sent = await pair.Sending.WaitAsync(InProcess.Timeout);
        var result = await pair.Receiving.WaitAsync(InProcess.Timeout);
        Assert.That(sent.Success && result.Success, Is.True);
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "big"));
        Assert.That(pair.Receiver.States, Is.EqualTo(new[] { TransferState.Connecting, TransferState.Receiving, TransferState.Paused, TransferState.Receiving, TransferState.Completed }));
        Assert.That(Directory.Exists(StateDirectory), Is.False, "a finished transfer leaves no journal or partial files");
    }

    [Test]
    public async Task ReceiverPausesMidTransfer_SenderStops_ResumeContinuesFromTheExactByte()
    {
        var source = Dir.Combine("src", "big");
        TestTrees.WriteFile(Path.Combine(source, "a.bin"), 48 << 20);
        await using var pair = new LifecyclePair();
        pair.Receiver.At(4 << 20, () => pair.ReceiveControl.PauseAsync());
        await pair.StartAsync(source, Receive, Paced);

        await Eventually.WaitUntilAsync(() => pair.Sender.Current == TransferState.Paused);
        Assert.That(pair.Sender.Changes.Last().Reason, Is.EqualTo("paused by the receiver"));

        // Frames already in flight still arrive; then nothing more (unpaused, all 48 MiB would go in a blink). The
        // pause can take hold before the first progress report (every 250 ms, paused or not): wait for one.
        await Eventually.WaitUntilAsync(() => pair.Sender.Last is not null);
        var before = await Eventually.WaitUntilSteadyAsync(() => pair.Sender.Last!.BytesDone);
        Assert.That(before, Is.LessThan(48 << 20), "the sender sends nothing while the receiver holds a pause");

        await pair.ReceiveControl.ResumeAsync();
        Assert.That((await pair.Sending.WaitAsync(InProcess.Timeout)).Success, Is.True);
        Assert.That((await pair.Receiving.WaitAsync(InProcess.Timeout)).Success, Is.True);
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "big"));
    }

    [Test]
    public async Task APauseThatTakesHoldAfterTheLastByte_HoldsNothing_BothSidesComplete()
    {
        // The receiver asks for a pause once it has every byte, so it meets the transfer's end: it used to fail both
        // sides with "cannot go from Paused to Completed" although every file had arrived.
        var source = Dir.Combine("src", "big");
        TestTrees.WriteFile(Path.Combine(source, "a.bin"), 8 << 20);
        await using var pair = new LifecyclePair();
        pair.Receiver.At(8 << 20, () => pair.ReceiveControl.PauseAsync());
        await pair.StartAsync(source, Receive, Send);
        var sent = await pair.Sending.WaitAsync(InProcess.Timeout);
        var received = await pair.Receiving.WaitAsync(InProcess.Timeout);
        Assert.That(sent.Success && received.Success, Is.True);
        Assert.That(pair.Sender.Current, Is.EqualTo(TransferState.Completed));
        Assert.That(pair.Receiver.Current, Is.EqualTo(TransferState.Completed));
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "big"));

        // Asked for after the end (a key press, `peerflow transfers resume`): nothing to tell, and no error.
        Assert.That(async () => await pair.ReceiveControl.ResumeAsync(), Throws.Nothing);
        Assert.That(async () => await pair.SendControl.PauseAsync(), Throws.Nothing);
    }

    [Test]
    public async Task SenderCancels_BothEndCancelled_PartialKept_SameTransferAgainResumes()
    {
        var source = Dir.Combine("src", "big");
        TestTrees.WriteFile(Path.Combine(source, "a.bin"), 64 << 20);
        await using (var pair = new LifecyclePair())
        {
            pair.Sender.At(16 << 20, () => pair.SendControl.CancelAsync());
            await pair.StartAsync(source, Receive, Paced);
            Assert.That(async () => await pair.Sending.WaitAsync(InProcess.Timeout), Throws.InstanceOf<OperationCanceledException>());
            Assert.That(async () => await pair.Receiving.WaitAsync(InProcess.Timeout), Throws.InstanceOf<PeerCancelledException>());
            Assert.That(pair.Sender.Current, Is.EqualTo(TransferState.Cancelled));
            Assert.That(pair.Receiver.Current, Is.EqualTo(TransferState.Cancelled), "the receiver ends Cancelled, not Failed");
        }

        Assert.That(File.Exists(Path.Combine(Dest, "big", "a.bin")), Is.False, "nothing half-written at the final path");
        var partial = Directory.GetFiles(StateDirectory, "*.part", SearchOption.AllDirectories).Single();
        var kept = new FileInfo(partial).Length;
        Assert.That(kept, Is.GreaterThan(0), "the receiver kept what it had");

        var (sent, received) = await InProcess.TransferAsync([source], Receive, Send);
        Assert.That(sent.Success && received.Success, Is.True);
        Assert.That(sent.BytesAlreadyThere, Is.EqualTo(kept), "the second run continues exactly where the first stopped");
        Assert.That(received.BytesAlreadyThere, Is.EqualTo(kept));
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "big"));
        Assert.That(Directory.Exists(StateDirectory), Is.False, "a finished transfer leaves no journal or partial files");
    }

    [Test]
    public async Task CancelWithDiscard_LeavesNoPartialData()
    {
        var source = Dir.Combine("src", "big");
        TestTrees.WriteFile(Path.Combine(source, "a.bin"), 64 << 20);
        await using var pair = new LifecyclePair();
        pair.Sender.At(8 << 20, () => pair.SendControl.CancelAsync(discardPartial: true));
        await pair.StartAsync(source, Receive, Paced);
        Assert.That(async () => await pair.Receiving.WaitAsync(InProcess.Timeout), Throws.InstanceOf<PeerCancelledException>());
        Assert.That(Directory.Exists(StateDirectory), Is.False);
        Assert.That(InProcess.FilesUnder(Dest).Where(File.Exists), Is.Empty);
    }

    [Test]
    public async Task ReceiverCancels_SenderEndsCancelled()
    {
        var source = Dir.Combine("src", "big");
        TestTrees.WriteFile(Path.Combine(source, "a.bin"), 64 << 20);
        await using var pair = new LifecyclePair();
        pair.Receiver.At(8 << 20, () => pair.ReceiveControl.CancelAsync());
        await pair.StartAsync(source, Receive, Paced);
        var error = Assert.ThrowsAsync<PeerCancelledException>(async () => await pair.Sending.WaitAsync(InProcess.Timeout));
        Assert.That(error!.Message, Does.Contain("cancelled by the receiver"));
        Assert.That(pair.Sender.Current, Is.EqualTo(TransferState.Cancelled));
        Assert.That(async () => await pair.Receiving.WaitAsync(InProcess.Timeout), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(pair.Receiver.Current, Is.EqualTo(TransferState.Cancelled));
    }

    [Test]
    public async Task SourceRewrittenBetweenAttempts_KeptPrefixIsRefused_FileArrivesAsItIsNow()
    {
        var source = Dir.Combine("src", "big");
        var file = Path.Combine(source, "a.bin");
        TestTrees.WriteFile(file, 32 << 20);
        await using (var pair = new LifecyclePair())
        {
            pair.Sender.At(8 << 20, () => pair.SendControl.CancelAsync());
            await pair.StartAsync(source, Receive, Paced);
            Assert.That(async () => await pair.Receiving.WaitAsync(InProcess.Timeout), Throws.InstanceOf<PeerCancelledException>());
        }

        // Same size and time, different first bytes: only the prefix hash can tell.
        var time = File.GetLastWriteTimeUtc(file);
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Write))
        {
            stream.Write(new byte[4096].Select(_ => (byte)0x5a).ToArray());
        }

        File.SetLastWriteTimeUtc(file, time);
        var (sent, _) = await InProcess.TransferAsync([source], Receive, Send);
        Assert.That(sent.Success, Is.True);
        Assert.That(sent.BytesAlreadyThere, Is.Zero, "the kept prefix was not the source's: the file started over");
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "big"));
    }

    [Test]
    public async Task SourceChangesWhileSent_TheFileFails_NeverAMixOfVersions()
    {
        var source = Dir.Combine("src", "big");
        var file = Path.Combine(source, "a.bin");
        TestTrees.WriteFile(file, 8 << 20);
        await using var pair = new LifecyclePair();
        await pair.SendControl.PauseAsync();
        await pair.StartAsync(source, Receive, Send);
        await Eventually.WaitUntilAsync(() => pair.Sender.Current == TransferState.Paused);
        File.AppendAllText(file, "more");
        await pair.SendControl.ResumeAsync();

        var sent = await pair.Sending.WaitAsync(InProcess.Timeout);
        Assert.That(sent.Success, Is.False);
        Assert.That(sent.Failures.Select(f => f.Reason), Has.All.Contain("changed while it was being sent").And.Not.Empty);
        Assert.That(File.Exists(Path.Combine(Dest, "big", "a.bin")), Is.False);
    }
}
