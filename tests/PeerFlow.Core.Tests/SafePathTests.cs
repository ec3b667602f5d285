using PeerFlow.Files;

namespace PeerFlow.Core.Tests;

public sealed class SafePathTests
{
    [TestCase("a")]
    [TestCase("tree/sub dir/naïve ☕.txt")]
    [TestCase("a/.hidden")]
    [TestCase("a/..b")]
    [TestCase("a/b.")]
    public void OrdinaryPaths_AreAccepted(string path) => Assert.That(SafePath.Split(path), Is.Not.Empty);

    [TestCase("", "empty")]
    [TestCase("/etc/passwd", "absolute")]
    [TestCase("../x", "'..'")]
    [TestCase("a/../../x", "'..'")]
    [TestCase("a/..", "'..'")]
    [TestCase("./a", "'.'")]
    [TestCase("a/./b", "'.'")]
    [TestCase("a//b", "empty name")]
    [TestCase("a/", "empty name")]
    [TestCase("a\\..\\b", "backslash")]
    [TestCase("C:x", "drive letter")]
    [TestCase("a/b\0c", "control character")]
    [TestCase("a/\u001b[31mred", "control character")]
    [TestCase("a\nb", "control character")]
    public void HostilePaths_AreRefusedWithAReason(string path, string reason)
    {
        var error = Assert.Throws<InvalidPathException>(() => SafePath.Split(path));
        Assert.That(error!.Message, Does.Contain(reason));
    }

    [TestCase("a/...")]
    [TestCase("..../b")]
    public void NamesThatAreOnlyDots_AreRefused(string path)
    {
        var error = Assert.Throws<InvalidPathException>(() => SafePath.Split(path));
        Assert.That(error!.Message, Does.Contain("only dots"));
    }

    [TestCase("a/CON", "device name")]
    [TestCase("a/nul.txt", "device name")]
    [TestCase("a/Com1.tar.gz", "device name")]
    [TestCase("a/LPT9", "device name")]
    [TestCase("a/CON .txt", "device name")]
    [TestCase("a/b.", "ends in a dot")]
    [TestCase("a/b ", "ends in a space")]
    [TestCase("a/file.txt:secret", "alternate data stream")]
    [TestCase("a/what?", "'?'")]
    [TestCase("a/x|y", "'|'")]
    public void WindowsRules_RefuseWhatWindowsWouldMisread(string path, string reason)
    {
        var error = Assert.Throws<InvalidPathException>(() => SafePath.Split(path, windowsRules: true));
        Assert.That(error!.Message, Does.Contain(reason));
    }

    [TestCase("a/CONSOLE.txt")]
    [TestCase("a/Screenshot 10.30.00.png")]
    [TestCase("a/com10")]
    public void WindowsRules_AcceptOrdinaryNames(string path) => Assert.That(SafePath.Split(path, windowsRules: true), Is.Not.Empty);

    [Test]
    public void OnUnix_ColonsAndDeviceNamesAreOrdinaryNames()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("Windows rules apply on Windows");
        }

        Assert.That(SafePath.Split("a/10:30 meeting.txt"), Has.Length.EqualTo(2));
        Assert.That(SafePath.Split("a/CON"), Has.Length.EqualTo(2));
    }

    [Test]
    public void Printable_EscapesBidiOverridesAndZeroWidthCharacters()
    {
        Assert.That(SafePath.Printable("invoice\u202Efdp.exe"), Is.EqualTo("invoice\\u202efdp.exe"));
        Assert.That(SafePath.Printable("a\u200Bb"), Is.EqualTo("a\\u200bb"));
    }

    [Test]
    public void OverlongName_IsRefused() => Assert.Throws<InvalidPathException>(() => SafePath.Split("a/" + new string('x', 256)));

    [Test]
    public void OverlongPath_IsRefused() => Assert.Throws<InvalidPathException>(() => SafePath.Split(string.Join('/', Enumerable.Repeat("abcdefgh", 600))));

    [Test]
    public void Combine_StaysInsideTheDestination()
    {
        var destination = Path.GetFullPath(Path.Combine(Path.GetTempPath(), "dest"));
        var combined = SafePath.Combine(destination, ["a", "b.txt"], "a/b.txt");
        Assert.That(combined, Is.EqualTo(Path.Combine(destination, "a", "b.txt")));
        Assert.That(SafePath.IsStrictlyInside(destination, destination), Is.False);
        Assert.That(SafePath.IsStrictlyInside(destination, destination + "-sibling/x"), Is.False);
    }

    [Test]
    public void Printable_EscapesTerminalControlSequences()
        => Assert.That(SafePath.Printable("evil\u001b[2J\r"), Is.EqualTo("evil\\u001b[2J\\u000d"));
}

public sealed class ConflictNamesTests
{
    [TestCase("report.pdf", 1, false, "report (1).pdf")]
    [TestCase("archive.tar.gz", 2, false, "archive.tar (2).gz")]
    [TestCase(".bashrc", 1, false, ".bashrc (1)")]
    [TestCase("photos", 3, true, "photos (3)")]
    [TestCase("v1.2", 1, true, "v1.2 (1)")]
    public void Candidate_FollowsTheSeedsNaming(string name, int n, bool isDirectory, string expected)
        => Assert.That(ConflictNames.Candidate(name, n, isDirectory), Is.EqualTo(expected));
}

public sealed class ChunkSizePolicyTests
{
    [Test]
    public void SmallFiles_AreOneChunk()
    {
        var policy = ChunkSizePolicy.Default;
        Assert.That(policy.ChunkFor(0), Is.EqualTo(1));
        Assert.That(policy.ChunkFor(4096), Is.EqualTo(4096));
        Assert.That(policy.ChunkFor(policy.MaxChunk), Is.EqualTo(policy.MaxChunk));
    }

    [Test]
    public void LargeFiles_GrowFromMinToMax_InWholePages()
    {
        var policy = ChunkSizePolicy.Default;
        var previous = 0;
        foreach (var size in new long[] { policy.MaxChunk + 1L, 8L << 20, 32L << 20, 1L << 30, 100L << 30 })
        {
            var chunk = policy.ChunkFor(size);
            Assert.That(chunk, Is.InRange(policy.MinChunk, policy.MaxChunk));
            Assert.That(chunk % 4096, Is.Zero);
            Assert.That(chunk, Is.GreaterThanOrEqualTo(previous));
            previous = chunk;
        }

        Assert.That(policy.ChunkFor(100L << 30), Is.EqualTo(policy.MaxChunk));
    }

    [Test]
    public void Fixed_IsAlwaysThatSize() => Assert.That(ChunkSizePolicy.Fixed(65536).ChunkFor(10 << 20), Is.EqualTo(65536));
}
