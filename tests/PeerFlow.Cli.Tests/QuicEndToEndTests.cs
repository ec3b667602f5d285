using System.Net.Quic;

using PeerFlow.Testing;

namespace PeerFlow.Cli.Tests;

/// <summary>The QUIC transport through the real CLI: a transfer where libmsquic is installed, a clear message where it is not.</summary>
public sealed class QuicEndToEndTests : FileSystemTest
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
            Assert.That(await receiver.WaitForExitAsync(), Is.Zero, receiver.Stderr);
        }

        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
    }
}
