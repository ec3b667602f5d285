using System.Net.Quic;

using PeerFlow.Testing;

namespace PeerFlow.Cli.Tests;

/// <summary>
/// Several streams and the QUIC transport through the real CLI: TCP streams everywhere; QUIC where libmsquic is
/// installed, a clear message where it is not.
/// </summary>
public sealed class StreamsEndToEndTests : FileSystemTest
{
    private static bool Supported => QuicListener.IsSupported && QuicConnection.IsSupported;

    [Test]
    public async Task WithoutLibmsquic_ReceiveAndSend_SayQuicIsNotAvailable()
    {
        if (Supported)
        {
            Assert.Ignore("QUIC is supported here (libmsquic installed): the missing-library message cannot be seen");
        }

        var (code, _, stderr) = await PeerFlowProcess.RunAsync("receive", "--transport", "quic", "--listen", "127.0.0.1:0", "--dest", Dest, "--once");
        Assert.That(code, Is.Not.Zero);
        Assert.That(stderr, Does.Contain("QUIC is not available on this machine: install libmsquic 2.x"));
        Assert.That(stderr, Does.Not.Contain("   at "), "a message, not a stack trace");

        var source = TestTrees.CreateSmallFiles(Dir.Combine("src"), 2);
        (code, _, stderr) = await PeerFlowProcess.RunAsync("send", source, "--transport", "quic", "--to", "127.0.0.1:9");
        Assert.That(code, Is.Not.Zero);
        Assert.That(stderr, Does.Contain("QUIC is not available on this machine: install libmsquic 2.x"));
    }

    [Test]
    public async Task TcpTransfer_OverThreeStreams_ArrivesWhole_AndSaysSo()
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest, "--once");
        await using (receiver)
        {
            var (code, stdout, stderr) = await PeerFlowProcess.RunAsync("send", source, "--streams", "3", "--to", address, "--output", "json");
            Assert.That(code, Is.Zero, stderr);
            Assert.That(stdout, Does.Contain("\"event\":\"started\"").And.Contain("\"streams\":3"));
            Assert.That(await receiver.WaitForExitAsync(), Is.Zero, receiver.Stderr);
            Assert.That(receiver.Stdout, Does.Contain("over 3 streams"));
        }

        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
    }

    [Test]
    public async Task Streams_OutOfRange_IsAUsageError()
    {
        var source = TestTrees.CreateSmallFiles(Dir.Combine("src"), 1);
        var (code, _, stderr) = await PeerFlowProcess.RunAsync("send", source, "--streams", "17", "--to", "127.0.0.1:9");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("--streams must be between 1 and 16"));
    }

    [Test]
    public async Task QuicTransfer_OverThreeStreams_ArrivesWhole_AndIsEncryptedToTheReceiversId()
    {
        if (!Supported)
        {
            Assert.Ignore("QUIC is not supported here (QuicListener.IsSupported is false: libmsquic 2.x is not installed)");
        }

        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest, "--transport", "quic", "--once");
        await using (receiver)
        {
            var (code, stdout, stderr) = await PeerFlowProcess.RunAsync("send", source, "--transport", "quic", "--streams", "3", "--to", address);
            Assert.That(code, Is.Zero, stderr);
            Assert.That(stdout + stderr, Does.Contain("encrypted; the receiver's peer ID is"));
            Assert.That(stdout, Does.Contain("over 3 streams"));
            Assert.That(await receiver.WaitForExitAsync(), Is.Zero, receiver.Stderr);
        }

        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
    }
}
