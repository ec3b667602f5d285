using PeerFlow.Files;
using PeerFlow.Protocol.Messages;
using PeerFlow.Testing;

namespace PeerFlow.Core.Tests;

/// <summary>gitignore's rules, as PeerFlow applies them below each source root.</summary>
public sealed class PathFilterTests : FileSystemTest
{
    [TestCase("*.log", "app.log", false, true)]
    [TestCase("*.log", "deep/er/app.log", false, true)]
    [TestCase("*.log", "app.log.txt", false, false)]
    [TestCase("*.log", "logs/app.txt", false, false)]
    [TestCase("build/", "build", true, true)]
    [TestCase("build/", "build", false, false)]
    [TestCase("build/", "src/build", true, true)]
    [TestCase("/build", "build", true, true)]
    [TestCase("/build", "src/build", true, false)]
    [TestCase("docs/*.md", "docs/a.md", false, true)]
    [TestCase("docs/*.md", "docs/sub/a.md", false, false)]
    [TestCase("docs/*.md", "x/docs/a.md", false, false)]
    [TestCase("docs/**/*.md", "docs/sub/deeper/a.md", false, true)]
    [TestCase("docs/**/*.md", "docs/a.md", false, true)]
    [TestCase("**/cache", "a/b/cache", true, true)]
    [TestCase("cache/**", "cache/x/y", false, true)]
    [TestCase("file?.txt", "file1.txt", false, true)]
    [TestCase("file?.txt", "file10.txt", false, false)]
    [TestCase("[ab]*.bin", "a1.bin", false, true)]
    [TestCase("[ab]*.bin", "c1.bin", false, false)]
    [TestCase("[!ab]*.bin", "c1.bin", false, true)]
    [TestCase("a.b", "axb", false, false)]
    public void Pattern_MatchesAsGitWould(string pattern, string path, bool isDirectory, bool excluded)
        => Assert.That(PathFilter.From([pattern], null).Excludes(path, isDirectory), Is.EqualTo(excluded));

    [Test]
    public void Include_WinsOverExclude_AndTheLastRuleOfAnIgnoreFileDecides()
    {
        var filter = PathFilter.From(["*.tmp"], ["keep.tmp"]);
        Assert.That(filter.Excludes("a.tmp", false), Is.True);
        Assert.That(filter.Excludes("x/keep.tmp", false), Is.False);

        var file = PathFilter.None.WithIgnoreFile(["# comment", "", "*.bak", "!important.bak", "important.bak"]);
        Assert.That(file.Excludes("important.bak", false), Is.True, "the last matching rule decides");
    }

    [TestCase("[abc")]
    [TestCase("/")]
    [TestCase("  ")]
    public void MalformedPattern_IsAnError(string pattern)
        => Assert.Throws<ArgumentException>(() => PathFilter.From([pattern], null));

    [Test]
    public void SourceSet_LeavesOutWhatTheFilterAndTheRootsIgnoreFileSay_WithoutWalkingExcludedDirectories()
    {
        var root = Dir.Combine("src", "project");
        foreach (var file in new[] { "a.txt", "debug.log", "keep.log", "node_modules/lib/index.js", "tmp/scratch.txt", "src/main.cs", "src/obj/x.o" })
        {
            TestTrees.WriteFile(Path.Combine(root, file), 10);
        }

        File.WriteAllLines(Path.Combine(root, PathFilter.IgnoreFileName), ["# local rules", "tmp/", "obj/"]);
        var sources = new SourceSet([root], filter: PathFilter.From(["*.log", "node_modules/"], ["keep.log"]));
        var sent = sources.Enumerate().Select(e => e.RelativePath + (e.Kind == EntryKind.Directory ? "/" : "")).ToList();
        Assert.That(sent, Is.EquivalentTo(new[] { "project/", "project/.peerflowignore", "project/a.txt", "project/keep.log", "project/src/", "project/src/main.cs" }));
        Assert.That(sources.Measure().Files, Is.EqualTo(4));
    }
}
