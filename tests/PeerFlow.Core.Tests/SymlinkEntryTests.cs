using PeerFlow.Files;
using PeerFlow.Protocol.Messages;
using PeerFlow.Testing;
using PeerFlow.Transfers;

namespace PeerFlow.Core.Tests;

/// <summary>
/// Symbolic links inside a sent tree: skipped unless the sender asks for them, refused unless the receiver allows
/// them, and even then created only when their target stays inside the destination.
/// </summary>
public sealed class SymlinkEntryTests : FileSystemTest
{
    private string Outside => Dir.Combine("outside");

    private string CreateTree()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("creating symbolic links needs privileges on Windows");
        }

        var root = Dir.Combine("src", "tree");
        TestTrees.WriteFile(Path.Combine(root, "a.txt"), 100);
        TestTrees.WriteFile(Path.Combine(root, "sub", "b.txt"), 200);
        Directory.CreateDirectory(Outside);
        File.CreateSymbolicLink(Path.Combine(root, "to-a"), "a.txt");
        File.CreateSymbolicLink(Path.Combine(root, "sub", "up"), "../a.txt");
        File.CreateSymbolicLink(Path.Combine(root, "sub", "dir-link"), ".");
        File.CreateSymbolicLink(Path.Combine(root, "escape"), "../../outside");
        File.CreateSymbolicLink(Path.Combine(root, "absolute"), Outside);
        File.CreateSymbolicLink(Path.Combine(root, "state"), "../.peerflow/x");
        return root;
    }

    private static string? Target(string path) => new FileInfo(path).LinkTarget;

    [Test]
    public async Task AllowedLinks_InsideTheDestination_AreCreatedAsLinks_OthersAreRefusedByName()
    {
        var root = CreateTree();
        var (sent, received) = await InProcess.TransferAsync(new SourceSet([root], includeLinks: true), new ReceiveOptions { Destination = Dest, AllowSymlinks = true });

        var tree = Path.Combine(Dest, "tree");
        Assert.That(Target(Path.Combine(tree, "to-a")), Is.EqualTo("a.txt"));
        Assert.That(Target(Path.Combine(tree, "sub", "up")), Is.EqualTo("../a.txt"));
        Assert.That(Target(Path.Combine(tree, "sub", "dir-link")), Is.EqualTo("."));
        Assert.That(File.ReadAllBytes(Path.Combine(tree, "sub", "up")), Is.EqualTo(File.ReadAllBytes(Path.Combine(root, "a.txt"))));
        foreach (var refused in new[] { "escape", "absolute", "state" })
        {
            Assert.That(new FileInfo(Path.Combine(tree, refused)).Attributes, Is.EqualTo((FileAttributes)(-1)), refused + " must not exist");
        }

        Assert.That(received.Links, Is.EqualTo(3));
        Assert.That(sent.Links, Is.EqualTo(6));
        Assert.That(sent.Success, Is.False);
        Assert.That(sent.Failures.Select(f => f.Path), Is.EquivalentTo(new[] { "tree/escape", "tree/absolute", "tree/state" }));
        Assert.That(sent.Failures.Single(f => f.Path == "tree/escape").Reason, Does.Contain("points outside the destination"));
        Assert.That(sent.Failures.Single(f => f.Path == "tree/absolute").Reason, Does.Contain("absolute"));
        Assert.That(sent.Failures.Single(f => f.Path == "tree/state").Reason, Does.Contain(".peerflow"));
        Assert.That(Directory.GetFileSystemEntries(Outside), Is.Empty);
    }

    [Test]
    public async Task LinksFromASender_AreRefusedByDefault_AndNoneIsCreated()
    {
        var root = CreateTree();
        var (sent, received) = await InProcess.TransferAsync(new SourceSet([root], includeLinks: true), new ReceiveOptions { Destination = Dest });

        Assert.That(received.Links, Is.Zero);
        Assert.That(sent.Failures, Has.Count.EqualTo(6));
        Assert.That(sent.Failures.Select(f => f.Reason), Has.All.Contain("--allow-symlinks"));
        Assert.That(File.ReadAllBytes(Path.Combine(Dest, "tree", "a.txt")), Is.EqualTo(File.ReadAllBytes(Path.Combine(root, "a.txt"))));
        Assert.That(Directory.EnumerateFileSystemEntries(Dest, "*", SearchOption.AllDirectories).Where(e => new FileInfo(e).LinkTarget is not null), Is.Empty);
    }

    [Test]
    public async Task WithoutIncludeLinks_LinksAreSkippedWithAWarning_AndTheRestArrives()
    {
        var root = CreateTree();
        var (sent, _) = await InProcess.TransferAsync(new SourceSet([root]), new ReceiveOptions { Destination = Dest, AllowSymlinks = true });

        Assert.That(sent.Success, Is.True);
        Assert.That(sent.Warnings.Count(w => w.StartsWith("skipped symbolic link", StringComparison.Ordinal)), Is.EqualTo(6));
        Assert.That(Directory.EnumerateFileSystemEntries(Dest, "*", SearchOption.AllDirectories).Where(e => new FileInfo(e).LinkTarget is not null), Is.Empty);
        Assert.That(File.Exists(Path.Combine(Dest, "tree", "sub", "b.txt")), Is.True);
    }

    [Test]
    public async Task HostilePeer_DeclaresALinkThenWritesBelowIt_NothingIsWrittenThroughTheLink()
    {
        if (!FileCalls.Native)
        {
            Assert.Ignore("handle-relative placing needs 64-bit Linux");
        }

        Directory.CreateDirectory(Outside);
        var (endPoint, result, listener) = await InProcess.StartReceiverAsync(new ReceiveOptions { Destination = Dest, AllowSymlinks = true });
        await using (listener)
        {
            await using var peer = await RawPeer.ConnectAsync(InProcess.Loopback, endPoint);
            await peer.HandshakeAsync();
            Assert.That((await peer.OfferAsync("root")).Accepted, Is.True);

            // "inside" resolves inside (root/inside -> root), and is then used as a directory to write through.
            peer.Send(new EntryBatch
            {
                Entries =
                [
                    new EntryInfo { Id = 0, Path = "root", Kind = EntryKind.Directory },
                    new EntryInfo { Id = 1, Path = "root/inside", Kind = EntryKind.Symlink, LinkTarget = "." },
                    new EntryInfo { Id = 2, Path = "root/out", Kind = EntryKind.Symlink, LinkTarget = "../../outside" },
                ],
            });
            peer.SendFile(3, "root/inside/x.txt", "through the link"u8.ToArray());
            peer.Send(new TransferEnd { Files = 1, Directories = 1 });
            await peer.FlushAsync();
            var summary = await peer.ReadAsync();
            Assert.That(summary, Is.InstanceOf<TransferSummary>());
            var failures = ((TransferSummary)summary).Failures!.Select(f => $"{f.Path}: {f.Reason}").ToList();
            Assert.That(failures, Has.Some.StartWith("root/out:").And.Some.Contains("points outside"));
            Assert.That(failures, Has.Some.StartWith("root/inside/x.txt:").And.Some.Contains("symbolic link"));
            await peer.Frames.Output.CompleteAsync();
            await result.WaitAsync(InProcess.Timeout);
        }

        Assert.That(File.Exists(Path.Combine(Dest, "root", "x.txt")), Is.False, "written through root/inside");
        Assert.That(Directory.GetFileSystemEntries(Outside), Is.Empty);
        Assert.That(new FileInfo(Path.Combine(Dest, "root", "out")).Attributes, Is.EqualTo((FileAttributes)(-1)));
    }

    [TestCase("a/link", "../b", null)]
    [TestCase("a/b/link", "../../c/d", null)]
    [TestCase("a/link", "../../x", "outside")]
    [TestCase("a/link", "/etc/passwd", "absolute")]
    [TestCase("a/link", "..\\..\\x", "absolute")]
    [TestCase("a/link", "C:/x", "absolute")]
    [TestCase("a/link", "", "no target")]
    [TestCase("a/link", "x\u001b[31m", "control")]
    [TestCase("a/link", "../.PEERFLOW/x", ".peerflow")]
    [TestCase("a/link", "./../b/./../../..", "outside")]
    public void LinkTargets_AreResolvedByName_FromTheLinksDirectory(string link, string target, string? refusal)
    {
        var reason = SafePath.UnsafeLinkTarget(link.Split('/'), target, ".peerflow");
        Assert.That(reason, refusal is null ? Is.Null : Does.Contain(refusal));
    }
}
