using System.Diagnostics;
using System.Net;
using System.Text.Json;

using PeerFlow.Protocol.Messages;
using PeerFlow.Session;
using PeerFlow.Testing;

namespace PeerFlow.Cli.Tests;

/// <summary>Two real peerflow processes moving real files over TCP on 127.0.0.1.</summary>
public sealed class EndToEndTests : FileSystemTest
{
    protected override string Prefix => "peerflow-e2e";

    private async Task<(int Sender, int Receiver, string SenderOut, string ReceiverOut)> SendAsync(string[] paths, params string[] extra)
    {
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest, "--once");
        await using (receiver)
        {
            var (code, stdout, stderr) = await PeerFlowProcess.RunAsync(["send", .. paths, "--to", address, .. extra]);
            var receiverCode = await receiver.WaitForExitAsync();
            Assert.That(stderr, Does.Not.Contain("Unhandled"), stderr);
            return (code, receiverCode, stdout + stderr, receiver.Stdout + receiver.Stderr);
        }
    }

    [Test]
    public async Task NestedTree_WithEmptyDirectoriesZeroByteAndNonAsciiNames_ArrivesIdentical()
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var (sender, receiver, senderOut, receiverOut) = await SendAsync([source]);
        Assert.That(sender, Is.EqualTo(0), senderOut);
        Assert.That(receiver, Is.EqualTo(0), receiverOut);
        Assert.That(receiverOut, Does.StartWith("listening on 127.0.0.1:"));
        Assert.That(senderOut, Does.Contain("done:").And.Contain("verified"));
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
    }

    [Test]
    public async Task SingleFile_Arrives()
    {
        var file = Dir.Combine("src", "one file.bin");
        TestTrees.WriteFile(file, 1_234_567);
        var (sender, receiver, senderOut, _) = await SendAsync([file]);
        Assert.That((sender, receiver), Is.EqualTo((0, 0)), senderOut);
        Assert.That(File.ReadAllBytes(Path.Combine(Dest, "one file.bin")), Is.EqualTo(File.ReadAllBytes(file)));
    }

    [Test]
    public async Task FilesAndDirectoriesMixed_AllArrive()
    {
        var tree = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var file = Dir.Combine("src", "loose.txt");
        TestTrees.WriteFile(file, 10_000, compressible: true);
        var (sender, _, senderOut, _) = await SendAsync([tree, file]);
        Assert.That(sender, Is.EqualTo(0), senderOut);
        TestTrees.AssertSameTree(tree, Path.Combine(Dest, "tree"));
        Assert.That(File.ReadAllBytes(Path.Combine(Dest, "loose.txt")), Is.EqualTo(File.ReadAllBytes(file)));
    }

    [Test]
    public async Task ThousandsOfSmallFiles_AllArrive()
    {
        var source = TestTrees.CreateSmallFiles(Dir.Combine("src"), 5000);
        var (sender, receiver, senderOut, _) = await SendAsync([source]);
        Assert.That((sender, receiver), Is.EqualTo((0, 0)), senderOut);
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "small"));
    }

    [TestCase("auto")]
    [TestCase("lz4")]
    [TestCase("none")]
    public async Task CompressibleAndIncompressibleData_ArriveWithEitherCompression(string compression)
    {
        var source = Dir.Combine("src", "data");
        TestTrees.WriteFile(Path.Combine(source, "text.log"), 20 << 20, compressible: true);
        TestTrees.WriteFile(Path.Combine(source, "noise.bin"), 20 << 20);
        var (sender, _, senderOut, _) = await SendAsync([source], "--compression", compression, "--chunk-size", "256K");
        Assert.That(sender, Is.EqualTo(0), senderOut);
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "data"));
    }

    [Test]
    public async Task JsonOutput_IsOneObjectPerLine_WithTheDocumentedEvents()
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var (sender, _, senderOut, _) = await SendAsync([source], "--output", "json");
        Assert.That(sender, Is.EqualTo(0));
        var events = senderOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var names = events.Select(e => e.GetProperty("event").GetString()).ToList();
        Assert.That(names.First(), Is.EqualTo("state"));
        Assert.That(names, Does.Contain("started"));
        Assert.That(names.Last(), Is.EqualTo("completed"));
        var states = events.Where(e => e.GetProperty("event").GetString() == "state").Select(e => e.GetProperty("to").GetString()).ToList();
        Assert.That(states, Is.EqualTo(new[] { "Connecting", "Sending", "Completed" }));
        Assert.That(names.Count(n => n == "file-completed"), Is.EqualTo(6));
        Assert.That(names, Does.Contain("progress"));
        Assert.That(events.Last().GetProperty("files").GetInt64(), Is.EqualTo(6));
        Assert.That(events.Last().GetProperty("event").GetString(), Is.EqualTo("completed"));
    }

    [Test]
    public async Task SecondTransferOfTheSameTree_IsStoredUnderANewName()
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest);
        await using (receiver)
        {
            Assert.That((await PeerFlowProcess.RunAsync("send", source, "--to", address)).ExitCode, Is.EqualTo(0));
            var second = await PeerFlowProcess.RunAsync("send", source, "--to", address);
            Assert.That(second.ExitCode, Is.EqualTo(0), second.Stderr);
            Assert.That(second.Stdout, Does.Contain("as tree (1)"));
        }

        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree (1)"));
    }

    [Test]
    public async Task HostilePeer_IsRefused_NothingEscapes_AndTheReceiverKeepsServing()
    {
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest);
        await using (receiver)
        {
            var endPoint = IPEndPoint.Parse(address);
            // Trusted (it holds the receiver's own identity) and still hostile: trust never widens what a peer may write.
            using var identity = Security.PeerIdentity.LoadOrCreate(PeerFlowProcess.SharedHome);
            await using (var peer = await RawPeer.ConnectAsync(TestPlugins.Get("tcp"), endPoint, identity))
            {
                await peer.HandshakeAsync();
                await peer.OfferAsync("tree");
                peer.SendFile(0, "tree/../../escaped.txt", "evil"u8.ToArray());
                await peer.FlushAsync();
                var error = Assert.ThrowsAsync<PeerErrorException>(peer.ReadAsync);
                Assert.That(error!.Code, Is.EqualTo(ErrorCode.InvalidPath));
                Assert.That(error.Message, Does.Contain("refused path"));
            }

            var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
            var normal = await PeerFlowProcess.RunAsync("send", source, "--to", address);
            Assert.That(normal.ExitCode, Is.EqualTo(0), normal.Stderr);
            TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
        }

        Assert.That(File.Exists(Dir.Combine("escaped.txt")), Is.False);
        Assert.That(File.Exists(Path.Combine(Path.GetDirectoryName(Dir.Path)!, "escaped.txt")), Is.False);
    }

    [Test]
    public async Task UnreachablePeer_FailsWithinSeconds_WithAClearMessage()
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        probe.Close();
        var clock = Stopwatch.StartNew();
        var (code, _, stderr) = await PeerFlowProcess.RunAsync("send", source, "--to", $"127.0.0.1:{port}");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(stderr.Trim(), Does.StartWith("peerflow: error:").And.Contain("connection refused"));
        Assert.That(stderr, Does.Not.Contain("   at "), "no stack trace without --verbose");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
    }

    [TestCase("send --to 127.0.0.1:1", TestName = "Send without paths")]
    [TestCase("send /definitely/not/here --to 127.0.0.1:1", TestName = "Send a missing path")]
    [TestCase("send . --to nowhere", TestName = "Address without port")]
    [TestCase("send . --to 127.0.0.1:1 --compression zip", TestName = "Unknown compression")]
    [TestCase("send . --to 127.0.0.1:1 --transport pigeon", TestName = "Unknown transport")]
    [TestCase("send . --to 127.0.0.1:1 --chunk-size 1", TestName = "Chunk size too small")]
    [TestCase("receive --dest x", TestName = "Receive without listen")]
    [TestCase("frobnicate", TestName = "Unknown verb")]
    public async Task UsageErrors_ExitWithCode2_AndOneClearLine(string commandLine)
    {
        var (code, _, stderr) = await PeerFlowProcess.RunAsync(commandLine.Split(' '));
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("peerflow:"));
        Assert.That(stderr, Does.Not.Contain("   at "));
    }

    [Test]
    public async Task Copy_UsesTheLoopbackPipelineInOneProcess()
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var (code, stdout, stderr) = await PeerFlowProcess.RunAsync("copy", source, Dest);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("loopback:"));
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
    }

    [Test]
    public async Task Copy_OverTcp_Works()
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var (code, _, stderr) = await PeerFlowProcess.RunAsync("copy", source, Dest, "--transport", "tcp");
        Assert.That(code, Is.EqualTo(0), stderr);
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
    }

    [Test]
    public async Task Plugins_ListsBothTransportsWithTheirPaths()
    {
        var (code, stdout, _) = await PeerFlowProcess.RunAsync("plugins");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(stdout, Does.Match(@"(?m)^tcp\s+\S+\s+.*PeerFlow\.Transport\.Tcp\.dll"));
        Assert.That(stdout, Does.Match(@"(?m)^loopback\s+\S+\s+.*PeerFlow\.Transport\.Loopback\.dll"));
    }

    [Test]
    public async Task PluginsDirectory_CanBeMovedByEnvironment()
    {
        using var empty = new TempDirectory();
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var (code, _, stderr) = await PeerFlowProcess.RunAsync(["send", source, "--to", "127.0.0.1:1"], new Dictionary<string, string> { ["PEERFLOW_PLUGINS_DIR"] = empty.Path });
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("no transport named 'tcp'").And.Contain(empty.Path));
    }

    [TestCase("TERM")]
    [TestCase("INT")]
    public async Task SignalDuringATransfer_CancelsGracefully_WithExitCode3(string signal)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("Unix signals");
        }

        var file = Dir.Combine("src", "big.bin");
        TestTrees.WriteFile(file, 64 << 20);
        using var identity = Security.PeerIdentity.LoadOrCreate(PeerFlowProcess.SharedHome);
        await using var receiver = await StalledReceiver.StartAsync(TestPlugins.Get("tcp"), identity);
        await using var sender = PeerFlowProcess.Start(["send", file, "--to", receiver.EndPoint.ToString()!]);
        await receiver.Accepted.WaitAsync(PeerFlowProcess.Timeout);
        await Eventually.WaitUntilAsync(() => sender.Stdout.Contains("sending", StringComparison.Ordinal));
        sender.Signal(signal);
        var code = await sender.WaitForExitAsync();
        Assert.That(code, Is.EqualTo(3), sender.Stdout + sender.Stderr);
        Assert.That(sender.Stderr, Does.Contain("cancelled"));
    }

    [Test]
    public async Task IdleReceiver_StopsCleanlyOnSigterm()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("Unix signals");
        }

        var (receiver, _) = await PeerFlowProcess.StartReceiverAsync(Dest);
        await using (receiver)
        {
            receiver.Signal("TERM");
            Assert.That(await receiver.WaitForExitAsync(), Is.Zero, receiver.Stderr);
            Assert.That(receiver.Stderr, Does.Not.Contain("error"));
        }
    }
}
