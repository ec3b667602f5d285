using System.Net;

using PeerFlow.Files;
using PeerFlow.Session;
using PeerFlow.Testing;
using PeerFlow.Transfers;
using PeerFlow.Transports;

namespace PeerFlow.Core.Tests;

/// <summary>
/// Connections that break, stall or corrupt, through the test-only <c>faulty</c> transport plugin (real TCP,
/// loaded by the real plugin loader): the transfer survives what it can and never delivers a broken file.
/// </summary>
public sealed class FaultTests : FileSystemTest
{
    private static ITransportFactory Faulty => TestPlugins.Get("faulty");

    // Only the stall test needs a quick watchdog; elsewhere a busy machine must not look like a silent peer.
    private static readonly SessionTiming Fast = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2));

    private async Task<(TransferResult Sent, TransferResult? Received, Recorder Sender)> RunAsync(string source, string faults, SendOptions? send = null, SessionTiming? timing = null)
    {
        timing ??= SessionTiming.Default;
        var receive = new ReceiveOptions { Destination = Dest, Timing = timing };
        await using var listener = await Faulty.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        using var stop = new CancellationTokenSource();
        var server = new ReceiveServer(listener, receive, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var serving = server.RunAsync(once: true, stop.Token);
        var recorder = new Recorder();
        var options = new TransportOptions().Set("faults", faults);
        send ??= new SendOptions { ChunkSize = ChunkSizePolicy.Fixed(64 * 1024), Timing = timing, ReconnectDelay = TimeSpan.FromMilliseconds(50) };
        try
        {
            var sent = await TransferSender.SendAsync(c => Faulty.ConnectAsync(listener.LocalEndPoint, options, c), new SourceSet([source]), send, recorder).WaitAsync(InProcess.Timeout);
            var received = await serving.WaitAsync(InProcess.Timeout);
            return (sent, received, recorder);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAny(serving, Task.Delay(InProcess.Timeout));
        }
    }

    [Test]
    public async Task StreamsCutRepeatedly_SenderReconnectsWithAllItsStreams_TreeArrivesWhole()
    {
        // The first connections to be cut are the main one and the extra streams of the early attempts alike.
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        TestTrees.WriteFile(Path.Combine(source, "big.bin"), 24 << 20);
        var send = new SendOptions { Streams = 3, ChunkSize = ChunkSizePolicy.Fixed(64 * 1024), ReconnectDelay = TimeSpan.FromMilliseconds(50) };
        var (sent, received, sender) = await RunAsync(source, "cut-after=2M;cuts=5", send);

        Assert.That(sent.Success, Is.True);
        Assert.That(received!.Success, Is.True);
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
        Assert.That(sender.Changes.Count(c => c.To == TransferState.Connecting && c.Reason is not null), Is.GreaterThanOrEqualTo(1), "at least one reconnect");
        Assert.That(sender.Started?.Streams, Is.EqualTo(3), "the last attempt had all its streams again");
        Assert.That(sent.BytesAlreadyThere, Is.GreaterThan(0), "the last attempt continued from what earlier ones delivered");
        Assert.That(Directory.Exists(Path.Combine(Dest, ".peerflow")), Is.False);
    }

    [Test]
    public async Task ConnectionCutRepeatedly_SenderReconnectsAndContinues_TreeArrivesWhole()
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        TestTrees.WriteFile(Path.Combine(source, "big.bin"), 24 << 20);
        var (sent, received, sender) = await RunAsync(source, "cut-after=3M;cuts=4");

        Assert.That(sent.Success, Is.True);
        Assert.That(received!.Success, Is.True);
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
        var reconnects = sender.Changes.Count(c => c.To == TransferState.Connecting && c.Reason is not null);
        Assert.That(reconnects, Is.EqualTo(4), "one reconnect per cut");
        Assert.That(sender.Changes.Where(c => c.Reason is not null && c.To == TransferState.Connecting).Select(c => c.Reason), Has.All.Contain("connection lost"));
        Assert.That(sent.BytesAlreadyThere, Is.GreaterThan(0), "the last attempt continued from what earlier ones delivered");
        Assert.That(Directory.Exists(Path.Combine(Dest, ".peerflow")), Is.False);
    }

    [Test]
    public async Task StalledConnection_IsDetectedByHeartbeats_AndTheSenderReconnects()
    {
        var source = Dir.Combine("src", "big");
        TestTrees.WriteFile(Path.Combine(source, "a.bin"), 8 << 20);
        var (sent, _, sender) = await RunAsync(source, "stall-after=2M;cuts=1", timing: Fast);

        Assert.That(sent.Success, Is.True);
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "big"));
        Assert.That(sender.Changes.Select(c => c.Reason ?? ""), Has.Some.Contain("no sign of the peer"));
    }

    [Test]
    public async Task CorruptedByteOnTheWire_FileFailsIntegrityCheck_NothingPlaced()
    {
        var source = Dir.Combine("src", "big");
        TestTrees.WriteFile(Path.Combine(source, "a.bin"), 4 << 20);
        var send = new SendOptions { ChunkSize = ChunkSizePolicy.Fixed(64 * 1024), Compression = Compression.CompressionMode.None };
        var (sent, _, _) = await RunAsync(source, "corrupt-at=1M", send);

        Assert.That(sent.Success, Is.False);
        Assert.That(sent.Failures.Single().Reason, Does.Contain("integrity check failed"));
        Assert.That(File.Exists(Path.Combine(Dest, "big", "a.bin")), Is.False, "a corrupted file never reaches its final path");

        // The same send again fills in what failed, in the same place (not "big (1)").
        var (again, _, _) = await RunAsync(source, "", send);
        Assert.That(again.Success, Is.True);
        Assert.That(again.StoredRoots, Is.EqualTo(new[] { "big" }));
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "big"));
        Assert.That(Directory.Exists(Path.Combine(Dest, ".peerflow")), Is.False);
    }

    [Test]
    public async Task ReceiverGoneForGood_SenderGivesUpAfterItsReconnects_WithTheReason()
    {
        var source = Dir.Combine("src", "big");
        TestTrees.WriteFile(Path.Combine(source, "a.bin"), 8 << 20);
        var listener = await Faulty.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var endPoint = listener.LocalEndPoint;
        var receiving = Task.Run(async () =>
        {
            // One connection, then nobody listens any more.
            var inbound = (await listener.AcceptAsync())!;
            await listener.DisposeAsync();
            await using (inbound)
            {
                await TransferReceiver.ReceiveAsync(inbound, new ReceiveOptions { Destination = Dest });
            }
        });
        var attempts = 0;
        var send = new SendOptions { Reconnects = 2, ReconnectDelay = TimeSpan.FromMilliseconds(10), ChunkSize = ChunkSizePolicy.Fixed(64 * 1024) };
        var options = new TransportOptions().Set("faults", "cut-after=1M");
        var recorder = new Recorder();
        var error = Assert.ThrowsAsync<TransportException>(() => TransferSender.SendAsync(
            c =>
            {
                attempts++;
                return Faulty.ConnectAsync(endPoint, options, c);
            },
            new SourceSet([source]),
            send,
            recorder));
        Assert.That(error!.Message, Does.Contain("cannot connect"));
        Assert.That(recorder.Current, Is.EqualTo(TransferState.Failed));
        Assert.That(attempts, Is.EqualTo(3), "the first connection and two reconnects");
        Assert.That(async () => await receiving, Throws.InstanceOf<TransportException>());
    }
}
