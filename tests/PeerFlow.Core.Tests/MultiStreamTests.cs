using System.Net;

using Microsoft.Extensions.Logging.Abstractions;

using PeerFlow.Files;
using PeerFlow.Protocol.Messages;
using PeerFlow.Security;
using PeerFlow.Testing;
using PeerFlow.Transfers;
using PeerFlow.Transports;

namespace PeerFlow.Core.Tests;

/// <summary>A transfer spread over several streams arrives whole, over the real transports, however its chunks interleave.</summary>
public sealed class MultiStreamTests : FileSystemTest
{
    private static ITransportFactory Tcp => TestPlugins.Get("tcp");

    [TestCase(2)]
    [TestCase(4)]
    public async Task MixedTree_OverSeveralLoopbackStreams_ArrivesWhole_AndEveryStreamIsUsed(int streams)
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var (sent, connections) = await SendThroughServerAsync(InProcess.Loopback, source, new ReceiveOptions { Destination = Dest }, new SendOptions { Streams = streams, ChunkSize = ChunkSizePolicy.Fixed(64 * 1024) });

        Assert.That(sent.Success, Is.True);
        Assert.That(connections, Is.EqualTo(streams), "the main connection and one per extra stream");
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
    }

    [Test]
    public async Task BigFile_OverFourTlsStreams_WithNoMemoryForEarlyChunks_IsWrittenAheadAndVerified()
    {
        // Every chunk that overtakes another is written at its offset and read back to be hashed in order.
        var source = Dir.Combine("src");
        Directory.CreateDirectory(source);
        TestTrees.WriteFile(Path.Combine(source, "big.bin"), 24L * 1024 * 1024 + 12345, seed: 7);
        using var receiver = PeerIdentity.LoadOrCreate(Dir.Combine("receiver-home"));
        using var sender = PeerIdentity.LoadOrCreate(Dir.Combine("sender-home"));
        var receive = new ReceiveOptions { Destination = Dest, Identity = receiver, TrustedPeers = new HashSet<PeerId> { sender.Id }, ReorderMemory = 0 };
        var (sent, connections) = await SendThroughServerAsync(Tcp, source, receive, new SendOptions { Streams = 4, ChunkSize = ChunkSizePolicy.Fixed(64 * 1024) }, sender, receiver.Id);

        Assert.That(sent.Success, Is.True);
        Assert.That(connections, Is.EqualTo(4));
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "src"));
    }

    [Test]
    public async Task DeltaSync_OverThreeStreams_KeepsEachDeltaInOrderOnTheMainConnection_AndArrivesWhole()
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var send = new SendOptions { Streams = 3, ChunkSize = ChunkSizePolicy.Fixed(64 * 1024), Target = "mirror", Sync = new Sync.SyncOptions() };
        var (first, _) = await SendThroughServerAsync(InProcess.Loopback, source, new ReceiveOptions { Destination = Dest }, send);
        Assert.That(first.Success, Is.True);

        var random = Path.Combine(source, "random.bin");
        var bytes = File.ReadAllBytes(random);
        new Random(5).NextBytes(bytes.AsSpan(1 << 20, 100_000));
        File.WriteAllBytes(random, [.. bytes.AsSpan(0, 300), .. "inserted"u8, .. bytes.AsSpan(300)]);
        TestTrees.WriteFile(Path.Combine(source, "logs", "app.log"), (5 << 20) + 77, compressible: true, seed: 4);
        var (second, connections) = await SendThroughServerAsync(InProcess.Loopback, source, new ReceiveOptions { Destination = Dest }, send);

        Assert.That(second.Success, Is.True);
        Assert.That(connections, Is.EqualTo(3));
        Assert.That(second.Sync!.FilesUpdated, Is.EqualTo(2));
        Assert.That(second.Sync.BytesCopied, Is.GreaterThan(5L << 19), "most of random.bin came from its old version (the log was rewritten through)");
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "mirror"));
    }

    [Test]
    public async Task Receiver_GrantsNoMoreStreamsThanItsLimit()
    {
        var source = TestTrees.CreateSmallFiles(Dir.Combine("src"), 50);
        var (sent, connections) = await SendThroughServerAsync(InProcess.Loopback, source, new ReceiveOptions { Destination = Dest, MaxStreams = 2 }, new SendOptions { Streams = 6 });

        Assert.That(sent.Success, Is.True);
        Assert.That(connections, Is.EqualTo(2));
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "small"));
    }

    [Test]
    public async Task SingleConnectionApi_CannotOpenStreams_AndSendsOverItsOneConnection()
    {
        var source = TestTrees.CreateSmallFiles(Dir.Combine("src"), 20);
        var (sent, received) = await InProcess.TransferAsync([source], new ReceiveOptions { Destination = Dest }, new SendOptions { Streams = 4 });

        Assert.That(sent.Success && received.Success, Is.True);
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "small"));
    }

    [Test]
    public async Task CancelledMultiStreamTransfer_KeepsOnlyItsVerifiedPrefix_AndTheSameSendResumesFromIt()
    {
        // No memory for early chunks: chunks that overtook others were written ahead of the verified part, and
        // what is kept for resuming must be cut back to that part.
        var source = Dir.Combine("src");
        Directory.CreateDirectory(source);
        TestTrees.WriteFile(Path.Combine(source, "a.bin"), 48L << 20, seed: 3);
        var receive = new ReceiveOptions { Destination = Dest, ReorderMemory = 0 };
        var send = new SendOptions { Streams = 3, ChunkSize = ChunkSizePolicy.Fixed(256 * 1024), BandwidthLimit = 64L << 20 };
        await using var listener = await InProcess.Loopback.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        using var stop = new CancellationTokenSource();
        var serving = new ReceiveServer(listener, receive, NullLogger.Instance, maxConcurrentTransfers: 16).RunAsync(once: false, stop.Token);
        ValueTask<ITransportConnection> Connect(CancellationToken ct) => InProcess.Loopback.ConnectAsync(listener.LocalEndPoint, null, ct);

        using (var control = new TransferControl())
        {
            var recorder = new Recorder();
            recorder.At(12L << 20, () => control.CancelAsync());
            Assert.That(async () => await TransferSender.SendAsync(Connect, new SourceSet([source]), send, recorder, CancellationToken.None, control).WaitAsync(InProcess.Timeout), Throws.InstanceOf<OperationCanceledException>());
        }

        var state = Path.Combine(Dest, Resume.PartialStore.StateDirectoryName);
        await Eventually.WaitUntilAsync(() => Directory.Exists(state) && Directory.GetFiles(state, "*.part", SearchOption.AllDirectories).Length == 1);
        var partial = Directory.GetFiles(state, "*.part", SearchOption.AllDirectories).Single();
        var kept = await Eventually.WaitUntilSteadyAsync(() => new FileInfo(partial).Length);
        Assert.That(kept, Is.GreaterThan(0).And.LessThan(48L << 20));
        Assert.That(TestTrees.SameBytesAsPrefix(Path.Combine(source, "a.bin"), partial), Is.True, "what is kept is exactly the start of the file");

        var again = await TransferSender.SendAsync(Connect, new SourceSet([source]), send).WaitAsync(InProcess.Timeout);
        Assert.That(again.Success, Is.True);
        Assert.That(again.BytesAlreadyThere, Is.EqualTo(kept), "continued exactly where the verified part ended");
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "src"));
        await stop.CancelAsync();
        await serving.WaitAsync(InProcess.Timeout);
    }

    [Test]
    public void Join_WithWrongToken_OtherPeer_UnknownOrRepeatedStream_IsRefused()
    {
        using var owner = PeerIdentity.LoadOrCreate(Dir.Combine("owner"));
        using var stranger = PeerIdentity.LoadOrCreate(Dir.Combine("stranger"));
        var id = new byte[16];
        id[0] = 42;
        using var joinable = StreamJoins.Register(id, streams: 2, owner.Id);
        JoinStream Join(byte[] token, int stream) => new() { TransferId = id, Token = token, Stream = stream };

        Assert.That(joinable.Check(Join(new byte[16], 1), owner.Id), Does.Contain("token"));
        Assert.That(joinable.Check(Join(joinable.Token, 1), stranger.Id), Does.Contain(stranger.Id.ToString()));
        Assert.That(joinable.Check(Join(joinable.Token, 1), null), Does.Contain("plaintext"));
        Assert.That(joinable.Check(Join(joinable.Token, 3), owner.Id), Does.Contain("not one of the 2"));
        Assert.That(joinable.Check(Join(joinable.Token, 0), owner.Id), Does.Contain("not one of the 2"));
        Assert.That(joinable.Check(Join(joinable.Token, 1), owner.Id), Is.Null);
        Assert.That(joinable.Check(Join(joinable.Token, 1), owner.Id), Does.Contain("joined already"));
        Assert.That(joinable.Check(Join(joinable.Token, 2), owner.Id), Is.Null);
    }

    /// <summary>Sends <paramref name="source"/> to a receiving server; returns the sender's result and how many connections the server accepted.</summary>
    private static async Task<(TransferResult Sent, int Connections)> SendThroughServerAsync(ITransportFactory transport, string source, ReceiveOptions receive, SendOptions send, PeerIdentity? identity = null, PeerId? expected = null)
    {
        await using var listener = new CountingListener(await transport.BindAsync(new IPEndPoint(IPAddress.Loopback, 0)));
        using var stop = new CancellationTokenSource();
        var server = new ReceiveServer(listener, receive, NullLogger.Instance, maxConcurrentTransfers: 16);
        var serving = server.RunAsync(once: true, stop.Token);
        ValueTask<ITransportConnection> Connect(CancellationToken ct) => identity is null
            ? transport.ConnectAsync(listener.LocalEndPoint, null, ct)
            : TlsLayer.ConnectAsync(transport, listener.LocalEndPoint, identity, expected, null, ct);
        var recorder = new Recorder();
        var sent = await TransferSender.SendAsync(Connect, new SourceSet([source]), send, recorder).WaitAsync(InProcess.Timeout);
        var received = await serving.WaitAsync(InProcess.Timeout);
        Assert.That(received?.Success, Is.True, "the receiver's own result");
        Assert.That(sent.Warnings, Is.Empty, "no stream failed to open");
        Assert.That(recorder.Started?.Streams, Is.EqualTo(Math.Min(send.Streams, receive.MaxStreams)));
        return (sent, listener.Accepted);
    }

    /// <summary>Counts the connections a listener hands out.</summary>
    private sealed class CountingListener(ITransportListener inner) : ITransportListener
    {
        private int _accepted;

        public int Accepted => Volatile.Read(ref _accepted);

        public EndPoint LocalEndPoint => inner.LocalEndPoint;

        public async ValueTask<ITransportConnection?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            var connection = await inner.AcceptAsync(cancellationToken).ConfigureAwait(false);
            if (connection is not null)
            {
                Interlocked.Increment(ref _accepted);
            }

            return connection;
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => inner.UnbindAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
