using PeerFlow.Files;
using PeerFlow.Testing;
using PeerFlow.Transfers;

using static PeerFlow.Transfers.TransferState;

namespace PeerFlow.Core.Tests;

/// <summary>Both sides report their state machine's transitions while a real transfer runs.</summary>
public sealed class TransferStateEventTests : FileSystemTest
{
    [Test]
    public async Task CompletedTransfer_BothSidesWalkTheHappyPath()
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var sender = new StateRecorder();
        var receiver = new StateRecorder();
        await InProcess.TransferAsync([source], new ReceiveOptions { Destination = Dest }, null, sender, default, receiver);
        Assert.That(sender.Path, Is.EqualTo(new[] { Connecting, Sending, Completed }));
        Assert.That(receiver.Path, Is.EqualTo(new[] { Connecting, Receiving, Completed }));
    }

    [Test]
    public async Task RefusedTransfer_EndsFailed_WithTheReason()
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        Directory.CreateDirectory(Path.Combine(Dest, "tree"));
        var sender = new StateRecorder();
        Assert.ThrowsAsync<TransferRefusedException>(() => InProcess.TransferAsync([source], new ReceiveOptions { Destination = Dest, OnConflict = ConflictPolicy.Fail }, null, sender));
        Assert.That(sender.Path, Is.EqualTo(new[] { Connecting, Failed }));
        Assert.That(sender.Changes.Last().Reason, Does.Contain("already exists"));
    }

    [Test]
    public void CancelledTransfer_EndsCancelled_NotFailed()
    {
        var source = Dir.Combine("src", "big");
        TestTrees.WriteFile(Path.Combine(source, "a.bin"), 32 << 20);
        using var cancel = new CancellationTokenSource();
        var sender = new StateRecorder(onChange: change =>
        {
            if (change.To == Sending)
            {
                cancel.Cancel();
            }
        });
        Assert.That(async () => await InProcess.TransferAsync([source], new ReceiveOptions { Destination = Dest }, new SendOptions { ChunkSize = ChunkSizePolicy.Fixed(64 * 1024) }, sender, cancel.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(sender.Path, Is.EqualTo(new[] { Connecting, Sending, Cancelled }));
    }

    private sealed class StateRecorder(Action<TransferStateChanged>? onChange = null) : ITransferObserver
    {
        public List<TransferStateChanged> Changes { get; } = [];

        public TransferState[] Path
        {
            get
            {
                lock (Changes)
                {
                    return [.. Changes.Select(c => c.To)];
                }
            }
        }

        public void OnStateChanged(TransferStateChanged change)
        {
            lock (Changes)
            {
                Changes.Add(change);
            }

            onChange?.Invoke(change);
        }
    }
}
