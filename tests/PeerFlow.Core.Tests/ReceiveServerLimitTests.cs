using System.Diagnostics;
using System.Net;

using Microsoft.Extensions.Logging.Abstractions;

using PeerFlow.Files;
using PeerFlow.Testing;
using PeerFlow.Transfers;

namespace PeerFlow.Core.Tests;

/// <summary>A receiver bounds the connections it serves, and a silent one cannot hold its slot for long.</summary>
public sealed class ReceiveServerLimitTests : FileSystemTest
{
    [Test]
    public async Task SilentConnection_HoldsItsSlotOnlyUntilTheHandshakeTimeout_ThenARealSenderIsServed()
    {
        var source = TestTrees.CreateSmallFiles(Dir.Combine("src"), 3);
        var options = new ReceiveOptions { Destination = Dest, HandshakeTimeout = TimeSpan.FromSeconds(1) };
        await using var listener = await InProcess.Loopback.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        using var stop = new CancellationTokenSource();
        var server = new ReceiveServer(listener, options, NullLogger.Instance, maxConcurrentTransfers: 1);
        var serving = server.RunAsync(once: false, stop.Token);

        // A peer that connects and says nothing takes the only slot (connections are accepted in order).
        await using var silent = await InProcess.Loopback.ConnectAsync(listener.LocalEndPoint);
        var clock = Stopwatch.StartNew();
        await using (var connection = await InProcess.Loopback.ConnectAsync(listener.LocalEndPoint))
        {
            var sent = await TransferSender.SendAsync(connection, new SourceSet([source])).WaitAsync(InProcess.Timeout);
            Assert.That(sent.Success, Is.True);
        }

        Assert.That(clock.Elapsed, Is.GreaterThan(TimeSpan.FromSeconds(0.5)), "the real sender waited for the slot");
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "small"));
        await stop.CancelAsync();
        await serving.WaitAsync(InProcess.Timeout);
    }
}
