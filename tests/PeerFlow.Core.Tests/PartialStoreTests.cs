using PeerFlow.Pipeline;
using PeerFlow.Resume;
using PeerFlow.Testing;

namespace PeerFlow.Core.Tests;

/// <summary>The receiver's partial store and its journal, on real files.</summary>
public sealed class PartialStoreTests : FileSystemTest
{
    private static readonly string[] Roots = ["photos"];

    private Task<PartialStore> OpenAsync(string tag = "t1", IReadOnlyList<string>? roots = null, Action? abort = null, string owner = "sender-1")
        => PartialStore.OpenAsync(Dest, tag, owner, roots ?? Roots, abort ?? (() => { }), CancellationToken.None, TimeSpan.FromMilliseconds(300));

    [Test]
    public async Task SecondAttempt_ReadsRootsAndFiles_AndCountsRuns()
    {
        Directory.CreateDirectory(Dest);
        using (var first = await OpenAsync())
        {
            Assert.That(first.Previous, Is.Null);
            Assert.That(first.Run, Is.EqualTo(1));
            first.RecordRoots([("photos", new RootPlan("photos (1)", true))]);
            first.RecordFile(first.PartialPath(7), "photos (1)/big.raw", 5 << 20, 123);
        }

        using var second = await OpenAsync();
        Assert.That(second.Run, Is.EqualTo(2));
        Assert.That(second.Previous!.Roots["photos"], Is.EqualTo(new RootPlan("photos (1)", true)));
        Assert.That(second.Previous.Files["photos (1)/big.raw"], Is.EqualTo(new JournaledFile("1-7.part", 5 << 20, 123)));
        Assert.That(second.PartialPath(7), Does.EndWith("2-7.part"), "attempts never share a partial file name");
    }

    [Test]
    public async Task TornLastLine_FromAKilledProcess_IsIgnored()
    {
        Directory.CreateDirectory(Dest);
        string journal;
        using (var first = await OpenAsync())
        {
            first.RecordRoots([("photos", new RootPlan("photos", true))]);
            first.RecordFile(first.PartialPath(1), "photos/a", 2 << 20, 1);
            journal = Path.Combine(first.Directory, "journal");
        }

        File.AppendAllText(journal, "file\t1-2.part\t99");
        using var second = await OpenAsync();
        Assert.That(second.Previous!.Files.Keys, Is.EqualTo(new[] { "photos/a" }));
    }

    [Test]
    public async Task JournalForOtherRoots_IsDiscarded_WithItsPartialFiles()
    {
        Directory.CreateDirectory(Dest);
        string partial;
        using (var first = await OpenAsync())
        {
            first.RecordRoots([("photos", new RootPlan("photos", true))]);
            partial = first.PartialPath(1);
            File.WriteAllText(partial, "old");
        }

        using var second = await OpenAsync(roots: ["music"]);
        Assert.That(second.Previous, Is.Null);
        Assert.That(File.Exists(partial), Is.False);
    }

    [Test]
    public async Task NewerAttemptInThisProcess_TakesOverFromTheOlderOne()
    {
        Directory.CreateDirectory(Dest);
        PartialStore? first = null;
        var aborted = false;
        first = await OpenAsync(abort: () =>
        {
            aborted = true;
            first!.Dispose();
        });
        first.RecordRoots([("photos", new RootPlan("photos", true))]);
        using var second = await OpenAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(aborted, Is.True, "the older attempt was told to let go");
        Assert.That(second.Run, Is.EqualTo(2));
    }

    [Test]
    public async Task AnotherSenderWithTheSameKey_DoesNotTakeOver_ItIsRefusedWhileTheFirstRuns()
    {
        Directory.CreateDirectory(Dest);
        var aborted = false;
        using var first = await OpenAsync(abort: () => aborted = true);
        var error = Assert.ThrowsAsync<IOException>(() => OpenAsync(owner: "sender-2"));
        Assert.That(error!.Message, Does.Contain("already running from another sender"));
        Assert.That(aborted, Is.False);
    }

    [Test]
    public async Task Delete_LeavesNothing_AndStaleCleanup_RemovesOnlyOldUnheldStores()
    {
        Directory.CreateDirectory(Dest);
        using (var done = await OpenAsync("done"))
        {
            done.Delete();
        }

        Assert.That(Directory.Exists(Path.Combine(Dest, PartialStore.StateDirectoryName)), Is.False);

        using (var old = await OpenAsync("old"))
        {
            File.WriteAllText(old.PartialPath(1), "x");
        }

        using (await OpenAsync("recent"))
        {
        }

        using var held = await OpenAsync("held");
        var state = Path.Combine(Dest, PartialStore.StateDirectoryName);
        var longAgo = DateTime.UtcNow.AddDays(-30);
        File.SetLastWriteTimeUtc(Path.Combine(state, "old", "journal"), longAgo);
        File.SetLastWriteTimeUtc(Path.Combine(state, "held", "journal"), longAgo);

        PartialStore.CleanStale(Dest, TimeSpan.FromDays(7));
        Assert.That(Directory.GetDirectories(state).Select(Path.GetFileName), Is.EquivalentTo(new[] { "recent", "held" }));
        PartialStore.CleanStale(Dest, TimeSpan.Zero, keep: "recent");
        Assert.That(Directory.GetDirectories(state).Select(Path.GetFileName), Is.EquivalentTo(new[] { "recent", "held" }), "the transfer about to continue is never cleaned");
    }
}
