using System.Net;

using PeerFlow.Files;
using PeerFlow.Sync;
using PeerFlow.Testing;
using PeerFlow.Transfers;

namespace PeerFlow.Core.Tests;

/// <summary>
/// The receiver's read-ahead of a sync target, and the per-file lookups of the sync path: what they report must be
/// exactly what a direct <c>lstat</c> of the path reports, and they must never read through a link.
/// </summary>
[NonParallelizable]
public sealed class TargetScanTests : FileSystemTest
{
    [SetUp]
    public void LinuxOnly()
    {
        if (!OperatingSystem.IsLinux() || !FileCalls.Native)
        {
            Assert.Ignore("the read-ahead and the handle-relative lookups exist on Linux only");
        }
    }

    private string MakeTree()
    {
        var root = Dir.Combine("target");
        for (var d = 0; d < 3; d++)
        {
            Directory.CreateDirectory(Path.Combine(root, $"d{d}", "deeper"));
            for (var f = 0; f < 20; f++)
            {
                File.WriteAllText(Path.Combine(root, $"d{d}", $"f{f:00}.txt"), new string('x', f));
            }

            File.WriteAllText(Path.Combine(root, $"d{d}", "deeper", "leaf.bin"), "leaf");
        }

        File.WriteAllText(Path.Combine(root, "top.txt"), "top");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(root, "top.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return root;
    }

    /// <summary>Every entry below <paramref name="root"/> in the order a sender declares them (depth first, by name).</summary>
    private static IEnumerable<string> RelativeFiles(string root)
        => new SourceSet([root], true, null).Enumerate().Skip(1).Select(e => e.RelativePath[(Path.GetFileName(root).Length + 1)..]);

    private static void WaitFor(TargetScan scan, long entries)
    {
        SpinWait.SpinUntil(() => scan.Examined >= entries, TimeSpan.FromSeconds(10));
        Assert.That(scan.Examined, Is.EqualTo(entries), "the read-ahead examined every entry of the target");
    }

    [Test]
    public void Find_ReportsWhatLStatReports_ForEveryEntry()
    {
        var root = MakeTree();
        var all = RelativeFiles(root).ToList();
        using var scan = TargetScan.Start(root, PathFilter.None)!;
        WaitFor(scan, all.Count);
        using var tree = new DirectoryTree(root);
        foreach (var relative in all)
        {
            var direct = FileCalls.LStat(Path.Combine(root, relative));
            Assert.That(scan.Find(relative), Is.EqualTo(direct), relative);
            Assert.That(tree.StatusBelow(relative), Is.EqualTo(direct), relative);
        }
    }

    [Test]
    public void Find_SaysNothingOfWhatItDidNotSee()
    {
        var root = MakeTree();
        using var scan = TargetScan.Start(root, PathFilter.None)!;
        WaitFor(scan, RelativeFiles(root).Count());
        Assert.Multiple(() =>
        {
            Assert.That(scan.Find("d0/not-there.txt"), Is.Null, "absent from a listing: examined directly, never assumed missing");
            Assert.That(scan.Find("nowhere/f00.txt"), Is.Null, "a directory it has no listing of");
            Assert.That(scan.Find("d1/f03.txt"), Is.Not.Null);
        });
    }

    [Test]
    public void Listings_AreDropped_AsTheWriterMovesOn()
    {
        var root = MakeTree();
        using var scan = TargetScan.Start(root, PathFilter.None)!;
        WaitFor(scan, RelativeFiles(root).Count());
        Assert.That(scan.Find("d0/f01.txt"), Is.Not.Null);
        Assert.That(scan.Find("d1/f01.txt"), Is.Not.Null, "the writer moved on to d1");
        Assert.That(scan.Find("d0/f02.txt"), Is.Null, "d0's listing was let go: the sender declares a directory's entries together");
    }

    [Test]
    public void ALinkedDirectory_IsNeverReadThrough()
    {
        var root = MakeTree();
        var outside = Dir.Combine("outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "secret");
        Directory.CreateSymbolicLink(Path.Combine(root, "link"), outside);
        using var scan = TargetScan.Start(root, PathFilter.None)!;
        WaitFor(scan, RelativeFiles(root).Count(p => !p.StartsWith("link/", StringComparison.Ordinal)));
        using var tree = new DirectoryTree(root);
        Assert.Multiple(() =>
        {
            Assert.That(scan.Find("link")?.Kind, Is.EqualTo(PathKind.Link));
            Assert.That(scan.Find("link/secret.txt"), Is.Null, "what the link points to is not listed");
            Assert.That(tree.StatusBelow("link/secret.txt").Kind, Is.EqualTo(PathKind.Missing), "nor looked up through it");
        });
    }

    [Test]
    public void ProtectedDirectories_AreNotRead()
    {
        var root = MakeTree();
        using var scan = TargetScan.Start(root, PathFilter.From(["d1/"], null))!;
        WaitFor(scan, RelativeFiles(root).Count(p => !p.StartsWith("d1/", StringComparison.Ordinal)));
        Assert.That(scan.Find("d1/f00.txt"), Is.Null);
    }

    [Test]
    public void StatusBelow_MissingParentOrAFileInTheWay_IsMissing()
    {
        var root = MakeTree();
        using var tree = new DirectoryTree(root);
        Assert.Multiple(() =>
        {
            Assert.That(tree.StatusBelow("no/such/file").Kind, Is.EqualTo(PathKind.Missing));
            Assert.That(tree.StatusBelow("top.txt/child").Kind, Is.EqualTo(PathKind.Missing));
            Assert.That(tree.StatusBelow("top.txt").Mode, Is.EqualTo(0b110_000_000));
        });
    }

    [TestCase("127.0.0.1", 47800)]
    [TestCase("0.0.0.0", 0)]
    [TestCase("255.255.255.255", 65535)]
    [TestCase("10.2.30.4", 9)]
    [TestCase("::1", 443)]
    [TestCase("fe80::1%2", 80)]
    [TestCase("::ffff:192.168.1.7", 1234)]
    public void EndPointText_IsTheEndPointsOwnText(string address, int port)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(address), port);
        Assert.That(EndPointText.Of(endPoint), Is.EqualTo(endPoint.ToString()));
    }

    [Test]
    public void EndPointText_OfOtherEndPoints()
    {
        Assert.Multiple(() =>
        {
            Assert.That(EndPointText.Of(null), Is.Null);
            Assert.That(EndPointText.Of(new DnsEndPoint("example.org", 80)), Is.EqualTo(new DnsEndPoint("example.org", 80).ToString()));
        });
    }
}
