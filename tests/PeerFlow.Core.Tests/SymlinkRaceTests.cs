using PeerFlow.Files;
using PeerFlow.Testing;
using PeerFlow.Transfers;

namespace PeerFlow.Core.Tests;

/// <summary>
/// A local user swaps a directory of the destination for a symbolic link in the middle of a transfer. Whatever the
/// timing, nothing may be written through the link.
/// </summary>
[NonParallelizable]
public sealed class SymlinkRaceTests : FileSystemTest
{
    [Test]
    public async Task DirectorySwappedForALinkWhilePaused_NothingIsWrittenThroughIt()
    {
        if (!FileCalls.Native)
        {
            Assert.Ignore("handle-relative placing needs 64-bit Linux; the portable path checks each directory once, when first used");
        }

        var source = Dir.Combine("src", "t");
        TestTrees.WriteFile(Path.Combine(source, "sub", "deeper", "1.bin"), 2 << 20);
        TestTrees.WriteFile(Path.Combine(source, "sub", "deeper", "2.bin"), 2 << 20);
        var outside = Dir.Combine("outside");
        Directory.CreateDirectory(outside);

        await using var pair = new LifecyclePair();
        await pair.SendControl.PauseAsync();
        await pair.StartAsync(source, new ReceiveOptions { Destination = Dest }, new SendOptions { ChunkSize = ChunkSizePolicy.Fixed(64 * 1024) });

        // Declarations flow while data is paused: the receiver has created the directories.
        var sub = Path.Combine(Dest, "t", "sub");
        await Eventually.WaitUntilAsync(() => Directory.Exists(Path.Combine(sub, "deeper")));
        Directory.Move(sub, Path.Combine(Dest, "t", "moved-away"));
        Directory.CreateDirectory(Path.Combine(outside, "deeper"));
        File.CreateSymbolicLink(sub, outside);

        await pair.SendControl.ResumeAsync();
        await Task.WhenAll(pair.Sending, pair.Receiving).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(InProcess.Timeout);

        Assert.That(Directory.GetFileSystemEntries(outside, "*", SearchOption.AllDirectories), Is.EqualTo(new[] { Path.Combine(outside, "deeper") }), "nothing was written through the link");
        Assert.That(new FileInfo(sub).LinkTarget, Is.EqualTo(outside), "the link itself is left alone");
    }
}
