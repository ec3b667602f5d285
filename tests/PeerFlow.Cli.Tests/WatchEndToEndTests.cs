using System.Net;
using System.Net.Sockets;

using PeerFlow.Testing;

namespace PeerFlow.Cli.Tests;

/// <summary><c>peerflow sync --watch</c> through the real CLI: changes follow, the receiver may go and come back.</summary>
public sealed class WatchEndToEndTests : FileSystemTest
{
    protected override string Prefix => "peerflow-watch";

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    [Test]
    public async Task Watch_SendsChangesAsTheyHappen_SurvivesTheReceiverGoingAway_AndStopsCleanly()
    {
        var source = Dir.Combine("src");
        TestTrees.WriteFile(Path.Combine(source, "first.txt"), 100, compressible: true);
        var replica = Path.Combine(Dest, "src");
        var address = $"127.0.0.1:{FreePort()}";
        var receiver = PeerFlowProcess.Start(["receive", "--listen", address, "--dest", Dest]);
        await using var watcher = PeerFlowProcess.Start(["sync", source, "--to", address, "--watch", "--debounce", "0.2", "--rescan", "60"]);
        try
        {
            await Eventually.WaitUntilAsync(() => File.Exists(Path.Combine(replica, "first.txt")), PeerFlowProcess.Timeout);

            // A change arrives without anyone running anything.
            TestTrees.WriteFile(Path.Combine(source, "sub", "second.txt"), 200, compressible: true);
            await Eventually.WaitUntilAsync(() => File.Exists(Path.Combine(replica, "sub", "second.txt")), PeerFlowProcess.Timeout);

            // The receiver goes away; a change made meanwhile arrives once it is back.
            await receiver.DisposeAsync();
            TestTrees.WriteFile(Path.Combine(source, "third.txt"), 300, compressible: true);
            await Eventually.WaitUntilAsync(() => watcher.Stderr.Contains("trying again in", StringComparison.Ordinal), PeerFlowProcess.Timeout);
            receiver = PeerFlowProcess.Start(["receive", "--listen", address, "--dest", Dest]);
            await Eventually.WaitUntilAsync(() => File.Exists(Path.Combine(replica, "third.txt")), PeerFlowProcess.Timeout);
            await Eventually.WaitUntilAsync(() => watcher.Stdout.Split("sync done:").Length >= 4, PeerFlowProcess.Timeout);
            TestTrees.AssertSameTree(source, replica);

            // Stopped while idle: a clean exit.
            watcher.Signal("TERM");
            Assert.That(await watcher.WaitForExitAsync(), Is.Zero, watcher.Stderr);
            Assert.That(watcher.Stderr, Does.Contain("watching"));
        }
        finally
        {
            await receiver.DisposeAsync();
        }
    }
}
