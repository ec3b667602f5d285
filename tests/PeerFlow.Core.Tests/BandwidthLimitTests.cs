using System.Diagnostics;

using PeerFlow.Compression;
using PeerFlow.Files;
using PeerFlow.Testing;
using PeerFlow.Transfers;

namespace PeerFlow.Core.Tests;

/// <summary>
/// A bandwidth limit keeps the sender at or under its rate. Only the lower bound of the time is asserted (a slow
/// machine may take longer, never shorter): this checks the limit works, it does not measure speed.
/// </summary>
public sealed class BandwidthLimitTests : FileSystemTest
{
    [Test]
    public async Task LimitedTransfer_TakesAtLeastItsSizeOverTheRate_AndArrivesIntact()
    {
        const int Size = 3 << 19; // 1.5 MiB
        var file = Dir.Combine("src", "limited.bin");
        TestTrees.WriteFile(file, Size);
        var clock = Stopwatch.StartNew();
        var (sent, received) = await InProcess.TransferAsync([file], new ReceiveOptions { Destination = Dest }, new SendOptions
        {
            BandwidthLimit = 1 << 20,
            Compression = CompressionMode.None,
            ChunkSize = ChunkSizePolicy.Fixed(256 * 1024),
        });
        clock.Stop();

        Assert.That(sent.Success && received.Success, Is.True);
        Assert.That(File.ReadAllBytes(Path.Combine(Dest, "limited.bin")), Is.EqualTo(File.ReadAllBytes(file)));

        // The bucket starts empty: 1.5 MiB at 1 MiB/s cannot take less than ~1.5 s (less one 50 ms refill of slack).
        Assert.That(clock.Elapsed, Is.GreaterThan(TimeSpan.FromSeconds(1.4)), "the limit was not applied");
    }
}
