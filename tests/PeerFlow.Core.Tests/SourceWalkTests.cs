using PeerFlow.Files;
using PeerFlow.Testing;

namespace PeerFlow.Core.Tests;

/// <summary>
/// A walk started ahead of a transfer (<see cref="SourceSet.StartWalking"/>) runs at most a bounded number of entries
/// ahead; it must end when the transfer that was to read it fails first, or stops reading half-way, rather than wait
/// for ever with what it walked (a sync in --watch mode retries for as long as its receiver is away).
/// </summary>
public sealed class SourceWalkTests : FileSystemTest
{
    private const int Files = 3_000;

    // Well below the tree: the walk fills its hand-over queue and has to wait for a reader.
    private const int WalkAhead = 512;

    private static readonly TimeSpan Ends = TimeSpan.FromSeconds(10);

    private string Tree()
    {
        var root = Dir.Combine("tree");
        for (var i = 0; i < Files; i++)
        {
            TestTrees.WriteFile(Path.Combine(root, $"d{i / 100:D2}", $"f{i:D4}.bin"), 1);
        }

        return root;
    }

    [Test]
    public void AWalkNobodyReads_EndsWhenStopped()
    {
        var sources = new SourceSet([Tree()]) { WalkAhead = WalkAhead };
        sources.StartWalking();
        var walk = sources.WalkThread!;
        Assert.That(walk.Wait(TimeSpan.FromMilliseconds(300)), Is.False, "the walk waits for a reader once it is far enough ahead");

        sources.StopWalking();

        Assert.That(walk.Wait(Ends), Is.True, "a stopped walk ends");
        // What it walked is not handed out cut short: the next reader walks afresh, whole.
        Assert.That(sources.Enumerate().Count(e => e.Kind == Protocol.Messages.EntryKind.File), Is.EqualTo(Files));
    }

    [Test]
    public void AWalkWhoseReaderLeavesHalfWay_Ends()
    {
        var sources = new SourceSet([Tree()]) { WalkAhead = WalkAhead };
        sources.StartWalking();
        var walk = sources.WalkThread!;

        var firstFew = sources.Enumerate().Take(10).ToList();

        Assert.That(firstFew, Has.Count.EqualTo(10));
        Assert.That(walk.Wait(Ends), Is.True, "the walk ends once its reader has gone");
    }

    [Test]
    public void AWalkReadToTheEnd_GivesEveryEntryOnce_AndStoppingAfterwardsChangesNothing()
    {
        var sources = new SourceSet([Tree()]) { WalkAhead = WalkAhead };
        sources.StartWalking();

        var paths = sources.Enumerate().Select(e => e.RelativePath).ToList();
        sources.StopWalking();

        Assert.That(paths, Is.Unique);
        Assert.That(paths, Has.Count.EqualTo(Files + 30 + 1), "the files, their 30 directories and the root");
        Assert.That(sources.WalkThread!.Wait(Ends), Is.True);
        Assert.That(sources.Incomplete, Is.False);
    }
}
