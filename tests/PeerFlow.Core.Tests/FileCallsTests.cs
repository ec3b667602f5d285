using PeerFlow.Files;
using PeerFlow.Testing;

namespace PeerFlow.Core.Tests;

/// <summary>The receiver's per-file calls: the Linux fast path must keep the portable APIs' semantics exactly.</summary>
[TestFixture(true)]
[TestFixture(false)]
[NonParallelizable]
public sealed class FileCallsTests(bool native) : FileSystemTest
{
    private bool _saved;

    [SetUp]
    public void ChoosePath()
    {
        if (native && !OperatingSystem.IsLinux())
        {
            Assert.Ignore("the native calls exist on Linux only");
        }

        _saved = FileCalls.Native;
        FileCalls.Native = native;
    }

    [TearDown]
    public void RestorePath() => FileCalls.Native = _saved;

    [TestCase(0b110_100_100)] // 644
    [TestCase(0b110_000_000)] // 600
    [TestCase(0b100_100_100)] // 444: written through the open handle although the file is read-only
    [TestCase(0b111_111_111)] // 777: wider than the usual umask allows at creation
    [TestCase(0b000_000_000)]
    public void CreateNew_EndsWithExactlyTheRequestedMode(int bits)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("no Unix permission bits on Windows");
            return;
        }

        var path = Dir.Combine("file");
        var mode = (UnixFileMode)bits;
        using (var handle = FileCalls.CreateNew(path, 0, mode, out var exact))
        {
            FileCalls.Write(handle, "hello"u8, 0);
            if (!exact)
            {
                File.SetUnixFileMode(handle, mode);
            }
        }

        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(mode));
        Assert.That(File.ReadAllText(path), Is.EqualTo("hello"));
    }

    [Test]
    public void CreateNew_NeverReusesAnExistingFile()
    {
        var path = Dir.Combine("taken");
        File.WriteAllText(path, "original");

        Assert.Throws<IOException>(() => FileCalls.CreateNew(path, 0, UnixFileMode.UserRead | UnixFileMode.UserWrite, out _).Dispose());
        Assert.That(File.ReadAllText(path), Is.EqualTo("original"));
    }

    [Test]
    public void CreateNew_DoesNotFollowALinkAtTheName()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("symbolic links need privileges on Windows");
        }

        var target = Dir.Combine("target");
        File.WriteAllText(target, "keep");
        File.CreateSymbolicLink(Dir.Combine("link"), target);

        Assert.Throws<IOException>(() => FileCalls.CreateNew(Dir.Combine("link"), 0, UnixFileMode.UserWrite, out _).Dispose());
        Assert.That(File.ReadAllText(target), Is.EqualTo("keep"));
    }

    [Test]
    public void Write_AtOffsets_AndPreallocation_KeepTheLengthWritten()
    {
        var path = Dir.Combine("data");
        var first = Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray();
        var second = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();
        using (var handle = FileCalls.CreateNew(path, 2 * 1024 * 1024, null, out _))
        {
            FileCalls.Write(handle, first, 0);
            FileCalls.Write(handle, second, first.Length);
        }

        Assert.That(File.ReadAllBytes(path), Is.EqualTo(first.Concat(second).ToArray()));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void OpenRead_ReadsEverything_AndStopsAtTheEnd(bool sequential)
    {
        var path = Dir.Combine("source");
        var content = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 13)).ToArray();
        File.WriteAllBytes(path, content);
        var buffer = new byte[8192];

        using var handle = FileCalls.OpenRead(path, sequential);
        Assert.That(FileCalls.Read(handle, buffer, 0), Is.EqualTo(8192));
        Assert.That(buffer, Is.EqualTo(content[..8192]));
        Assert.That(FileCalls.Read(handle, buffer, 8192), Is.EqualTo(10_000 - 8192), "a short read at the end of the file");
        Assert.That(buffer[..(10_000 - 8192)], Is.EqualTo(content[8192..]));
        Assert.That(FileCalls.Read(handle, buffer, 10_000), Is.Zero);
    }

    [Test]
    public void OpenRead_MissingOrForbidden_IsAClearError()
    {
        var missing = Assert.Catch<IOException>(() => FileCalls.OpenRead(Dir.Combine("missing"), false).Dispose());
        Assert.That(missing!.Message, Does.Contain("missing"));

        if (OperatingSystem.IsWindows() || Environment.UserName == "root")
        {
            Assert.Ignore("permission bits do not stop this user");
            return;
        }

        var locked = Dir.Combine("locked");
        File.WriteAllText(locked, "secret");
        File.SetUnixFileMode(locked, UnixFileMode.None);
        Assert.Throws<UnauthorizedAccessException>(() => FileCalls.OpenRead(locked, false).Dispose());
    }

    [TestCase(1_700_000_000_123_456_789L)]
    [TestCase(0L)]
    [TestCase(-1_500_000_100L)] // before 1970, with a fraction: the seconds round down, the nanoseconds stay positive
    public void SetModifiedTime_KeepsTheTimeToTheTick(long unixNanoseconds)
    {
        var path = Dir.Combine("timed");
        using (var handle = FileCalls.CreateNew(path, 0, null, out _))
        {
            FileCalls.SetModifiedTime(handle, unixNanoseconds);
        }

        Assert.That(File.GetLastWriteTimeUtc(path), Is.EqualTo(UnixTime.FromNanoseconds(unixNanoseconds)));
    }

    [Test]
    public void TryRenameNoReplace_LeavesAnExistingTargetAlone()
    {
        var from = Dir.Combine("new");
        var to = Dir.Combine("existing");
        File.WriteAllText(from, "incoming");
        File.WriteAllText(to, "precious");

        Assert.That(FileCalls.TryRenameNoReplace(from, to), Is.False);
        Assert.That(File.ReadAllText(to), Is.EqualTo("precious"));
        Assert.That(File.ReadAllText(from), Is.EqualTo("incoming"));

        var free = Dir.Combine("free");
        Assert.That(FileCalls.TryRenameNoReplace(from, free), Is.True);
        Assert.That(File.ReadAllText(free), Is.EqualTo("incoming"));
        Assert.That(File.Exists(from), Is.False);
    }

    [Test]
    public void TryRenameNoReplace_TreatsALinkAtTheTargetAsTaken()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("symbolic links need privileges on Windows");
        }

        var from = Dir.Combine("new");
        File.WriteAllText(from, "incoming");
        File.CreateSymbolicLink(Dir.Combine("dangling"), Dir.Combine("nowhere"));

        Assert.That(FileCalls.TryRenameNoReplace(from, Dir.Combine("dangling")), Is.False);
        Assert.That(File.Exists(Dir.Combine("nowhere")), Is.False);
    }

    [Test]
    public void RenameReplacing_ReplacesALinkItself_NotItsTarget()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("symbolic links need privileges on Windows");
        }

        var target = Dir.Combine("target");
        File.WriteAllText(target, "keep");
        var link = Dir.Combine("link");
        File.CreateSymbolicLink(link, target);
        var from = Dir.Combine("new");
        File.WriteAllText(from, "incoming");

        FileCalls.RenameReplacing(from, link);

        Assert.That(new FileInfo(link).LinkTarget, Is.Null);
        Assert.That(File.ReadAllText(link), Is.EqualTo("incoming"));
        Assert.That(File.ReadAllText(target), Is.EqualTo("keep"));
    }

    [Test]
    public void Errors_NameThePathAndTheReason()
    {
        var missing = Dir.Combine("no-such-directory", "file");

        var error = Assert.Catch<IOException>(() => FileCalls.CreateNew(missing, 0, UnixFileMode.UserWrite, out _).Dispose());
        Assert.That(error!.Message, Does.Contain("no-such-directory"));
    }
}
