using System.Net;
using System.Net.Quic;

using Microsoft.Extensions.Logging.Abstractions;

using PeerFlow.Files;
using PeerFlow.Security;
using PeerFlow.Testing;
using PeerFlow.Transfers;
using PeerFlow.Transports;

namespace PeerFlow.Core.Tests;

/// <summary>Transfers over the QUIC plugin: identities pinned by peer ID, extra data on QUIC streams of one connection.</summary>
public sealed class QuicTransferTests : FileSystemTest
{
    private static ITransportFactory Quic => TestPlugins.Get("quic");

    [SetUp]
    public void RequireQuic()
    {
        if (!QuicListener.IsSupported || !QuicConnection.IsSupported)
        {
            Assert.Ignore("QUIC is not supported here (QuicListener.IsSupported is false: libmsquic 2.x is not installed)");
        }
    }

    [TestCase(1)]
    [TestCase(3)]
    public async Task MixedTree_OverQuic_ArrivesWhole_FromTheTrustedPeer(int streams)
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        using var receiver = PeerIdentity.LoadOrCreate(Dir.Combine("receiver-home"));
        using var sender = PeerIdentity.LoadOrCreate(Dir.Combine("sender-home"));
        var receive = new ReceiveOptions { Destination = Dest, Identity = receiver, TrustedPeers = new HashSet<PeerId> { sender.Id } };
        await using var listener = await Quic.BindAsync(new IPEndPoint(IPAddress.Loopback, 0), TlsLayer.WithCertificate(null, receiver.Certificate));
        var serving = new ReceiveServer(listener, receive, NullLogger.Instance).RunAsync(once: true, CancellationToken.None);

        var recorder = new Recorder();
        var sent = await TransferSender.SendAsync(
            ct => TlsLayer.ConnectAsync(Quic, listener.LocalEndPoint, sender, receiver.Id, null, ct),
            new SourceSet([source]),
            new SendOptions { Streams = streams, ChunkSize = ChunkSizePolicy.Fixed(64 * 1024) },
            recorder).WaitAsync(InProcess.Timeout);
        var received = await serving.WaitAsync(InProcess.Timeout);

        Assert.That(sent.Success && received!.Success, Is.True);
        Assert.That(recorder.Started?.Streams, Is.EqualTo(streams), "every stream asked for was opened and joined");
        Assert.That(sent.Warnings, Is.Empty);
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
    }

    [Test]
    public async Task Sender_ExpectingAnotherPeer_IsRefusedBeforeSendingAnything()
    {
        var source = TestTrees.CreateSmallFiles(Dir.Combine("src"), 3);
        using var receiver = PeerIdentity.LoadOrCreate(Dir.Combine("receiver-home"));
        using var sender = PeerIdentity.LoadOrCreate(Dir.Combine("sender-home"));
        using var other = PeerIdentity.LoadOrCreate(Dir.Combine("other-home"));
        await using var listener = await Quic.BindAsync(new IPEndPoint(IPAddress.Loopback, 0), TlsLayer.WithCertificate(null, receiver.Certificate));

        var error = Assert.ThrowsAsync<PeerIdentityException>(async () => await TransferSender.SendAsync(
            ct => TlsLayer.ConnectAsync(Quic, listener.LocalEndPoint, sender, other.Id, null, ct),
            new SourceSet([source])).WaitAsync(InProcess.Timeout));
        Assert.That(error!.Message, Does.Contain(receiver.Id.ToString()).And.Contain(other.Id.ToString()));
        Assert.That(Directory.Exists(Dest), Is.False);
    }

    [Test]
    public async Task Receiver_RefusesAnUntrustedQuicPeer_NamingItsId()
    {
        var source = TestTrees.CreateSmallFiles(Dir.Combine("src"), 3);
        using var receiver = PeerIdentity.LoadOrCreate(Dir.Combine("receiver-home"));
        using var stranger = PeerIdentity.LoadOrCreate(Dir.Combine("stranger-home"));
        var receive = new ReceiveOptions { Destination = Dest, Identity = receiver };
        await using var listener = await Quic.BindAsync(new IPEndPoint(IPAddress.Loopback, 0), TlsLayer.WithCertificate(null, receiver.Certificate));
        using var stop = new CancellationTokenSource();
        var serving = new ReceiveServer(listener, receive, NullLogger.Instance).RunAsync(once: false, stop.Token);

        var error = Assert.ThrowsAsync<TransferRefusedException>(async () => await TransferSender.SendAsync(
            ct => TlsLayer.ConnectAsync(Quic, listener.LocalEndPoint, stranger, receiver.Id, null, ct),
            new SourceSet([source])).WaitAsync(InProcess.Timeout));
        Assert.That(error!.Message, Does.Contain($"does not trust peer ID {stranger.Id}"));
        await stop.CancelAsync();
        await serving.WaitAsync(InProcess.Timeout);
    }
}
