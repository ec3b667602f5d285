using PeerFlow.Buffers;
using PeerFlow.Compression;
using PeerFlow.Files;
using PeerFlow.Testing;
using PeerFlow.Transfers;

namespace PeerFlow.Core.Tests;

public sealed class TransferTests : FileSystemTest
{
    [TestCase(CompressionMode.Lz4, 0)]
    [TestCase(CompressionMode.Auto, 0)]
    [TestCase(CompressionMode.None, 0)]
    [TestCase(CompressionMode.Lz4, 4096)]
    public async Task MixedTree_ArrivesIdentical_AndEveryBufferComesBack(CompressionMode compression, int fixedChunk)
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        using var sendPool = new ChunkPool();
        using var receivePool = new ChunkPool();
        var send = new SendOptions { Compression = compression, ChunkSize = fixedChunk > 0 ? ChunkSizePolicy.Fixed(fixedChunk) : ChunkSizePolicy.Default, Pool = sendPool };
        var (sent, received) = await InProcess.TransferAsync([source], new ReceiveOptions { Destination = Dest, Pool = receivePool }, send);

        Assert.That(sent.Success, Is.True, string.Join("; ", sent.Failures));
        Assert.That(received.Success, Is.True);
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
        Assert.That(received.Files, Is.EqualTo(6));
        Assert.That(sendPool.TotalRented, Is.GreaterThan(0));
        Assert.That(sendPool.Outstanding, Is.Zero, "sender buffers not returned");
        Assert.That(receivePool.Outstanding, Is.Zero, "receiver buffers not returned");
        Assert.That(InProcess.FilesUnder(Dest).Where(f => f.EndsWith(".part", StringComparison.Ordinal)), Is.Empty, "temporary files left behind");
    }

    [Test]
    public async Task FilesAndDirectoriesMixed_EachRootKeepsItsName()
    {
        var tree = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var single = Dir.Combine("src", "single.txt");
        TestTrees.WriteFile(single, 777, compressible: true);
        var (_, received) = await InProcess.TransferAsync([tree, single], new ReceiveOptions { Destination = Dest });
        Assert.That(received.StoredRoots, Is.EqualTo(new[] { "tree", "single.txt" }));
        Assert.That(File.ReadAllBytes(Path.Combine(Dest, "single.txt")), Is.EqualTo(File.ReadAllBytes(single)));
    }

    [Test]
    public async Task ThousandsOfSmallFiles_AllArrive()
    {
        var source = TestTrees.CreateSmallFiles(Dir.Combine("src"), 3000);
        var (sent, received) = await InProcess.TransferAsync([source], new ReceiveOptions { Destination = Dest });
        Assert.That(received.Files, Is.EqualTo(3000));
        Assert.That(sent.Files, Is.EqualTo(3000));
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "small"));
    }

    [Test]
    public async Task PermissionBitsAndExactTimes_Arrive_InAnExistingTreeToo()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("no Unix permission bits on Windows");
            return;
        }

        var source = Dir.Combine("src", "modes");
        var modes = new[] { 0b110_100_100, 0b110_000_000, 0b111_101_101, 0b100_100_100, 0b111_111_111, 0b110_110_000 };
        for (var i = 0; i < modes.Length; i++)
        {
            var path = Path.Combine(source, $"f{i}");
            TestTrees.WriteFile(path, 100 + i);
            File.SetUnixFileMode(path, (UnixFileMode)modes[i]);
            File.SetLastWriteTimeUtc(path, new DateTime(2021, 3, 4, 5, 6, 7, DateTimeKind.Utc).AddTicks(1234567 + i));
        }

        // Once into a fresh root, once merged into the existing one (the no-replace rename path).
        await InProcess.TransferAsync([source], new ReceiveOptions { Destination = Dest });
        foreach (var file in Directory.GetFiles(Path.Combine(Dest, "modes")))
        {
            File.Delete(file);
        }

        var (_, received) = await InProcess.TransferAsync([source], new ReceiveOptions { Destination = Dest, OnConflict = ConflictPolicy.Skip });

        Assert.That(received.Success, Is.True, string.Join("; ", received.Failures));
        for (var i = 0; i < modes.Length; i++)
        {
            var arrived = Path.Combine(Dest, "modes", $"f{i}");
            Assert.That(File.GetUnixFileMode(arrived), Is.EqualTo((UnixFileMode)modes[i]), $"mode of f{i}");
            Assert.That(File.GetLastWriteTimeUtc(arrived), Is.EqualTo(File.GetLastWriteTimeUtc(Path.Combine(source, $"f{i}"))), $"time of f{i}");
        }
    }

    [Test]
    public async Task ProgressAndFileEvents_AreReported()
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var observer = new RecordingObserver();
        await InProcess.TransferAsync([source], new ReceiveOptions { Destination = Dest }, new SendOptions { ProgressInterval = TimeSpan.FromMilliseconds(10) }, observer);
        Assert.That(observer.Started, Is.Not.Null);
        Assert.That(observer.Started!.TotalFiles, Is.EqualTo(6));
        Assert.That(observer.Files, Has.Count.EqualTo(6));
        Assert.That(observer.LastProgress!.BytesDone, Is.EqualTo(observer.Started.TotalBytes));
    }

    [Test]
    public async Task Rename_IsTheDefault_AndNothingIsLost()
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var file = Dir.Combine("src", "note.txt");
        File.WriteAllText(file, "new");
        Directory.CreateDirectory(Dest);
        File.WriteAllText(Path.Combine(Dest, "note.txt"), "old");

        await InProcess.TransferAsync([source, file], new ReceiveOptions { Destination = Dest });
        var (_, second) = await InProcess.TransferAsync([source], new ReceiveOptions { Destination = Dest });

        Assert.That(File.ReadAllText(Path.Combine(Dest, "note.txt")), Is.EqualTo("old"));
        Assert.That(File.ReadAllText(Path.Combine(Dest, "note (1).txt")), Is.EqualTo("new"));
        Assert.That(second.StoredRoots, Is.EqualTo(new[] { "tree (1)" }));
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree (1)"));
    }

    [Test]
    public async Task Overwrite_ReplacesFiles_AfterVerification()
    {
        var source = Dir.Combine("src", "data");
        TestTrees.WriteFile(Path.Combine(source, "f.bin"), 100_000, seed: 1);
        Directory.CreateDirectory(Path.Combine(Dest, "data"));
        File.WriteAllText(Path.Combine(Dest, "data", "f.bin"), "old");
        File.WriteAllText(Path.Combine(Dest, "data", "keep.txt"), "untouched");

        var (_, received) = await InProcess.TransferAsync([source], new ReceiveOptions { Destination = Dest, OnConflict = ConflictPolicy.Overwrite });
        Assert.That(received.Success, Is.True);
        Assert.That(File.ReadAllBytes(Path.Combine(Dest, "data", "f.bin")), Is.EqualTo(File.ReadAllBytes(Path.Combine(source, "f.bin"))));
        Assert.That(File.ReadAllText(Path.Combine(Dest, "data", "keep.txt")), Is.EqualTo("untouched"));
    }

    [Test]
    public async Task Skip_KeepsExistingFiles()
    {
        var source = Dir.Combine("src", "data");
        TestTrees.WriteFile(Path.Combine(source, "f.bin"), 1000);
        TestTrees.WriteFile(Path.Combine(source, "new.bin"), 1000, seed: 2);
        Directory.CreateDirectory(Path.Combine(Dest, "data"));
        File.WriteAllText(Path.Combine(Dest, "data", "f.bin"), "old");

        var (sent, _) = await InProcess.TransferAsync([source], new ReceiveOptions { Destination = Dest, OnConflict = ConflictPolicy.Skip });
        Assert.That(sent.FilesSkipped, Is.EqualTo(1));
        Assert.That(File.ReadAllText(Path.Combine(Dest, "data", "f.bin")), Is.EqualTo("old"));
        Assert.That(File.Exists(Path.Combine(Dest, "data", "new.bin")), Is.True);
    }

    [Test]
    public void Fail_RefusesBeforeWritingAnything()
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        Directory.CreateDirectory(Path.Combine(Dest, "tree"));
        var error = Assert.ThrowsAsync<TransferRefusedException>(() => InProcess.TransferAsync([source], new ReceiveOptions { Destination = Dest, OnConflict = ConflictPolicy.Fail }));
        Assert.That(error!.Message, Does.Contain("already exists"));
        Assert.That(InProcess.FilesUnder(Dest), Is.EqualTo(new[] { Path.Combine(Dest, "tree") }));
    }

    [Test]
    public async Task UnreadableFile_FailsAlone_TheRestArrives()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("Unix permissions are needed to make a file unreadable");
            return;
        }

        if (Environment.UserName == "root")
        {
            Assert.Ignore("permissions do not stop root, so a file cannot be made unreadable here");
        }

        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var locked = Path.Combine(source, "locked.bin");
        TestTrees.WriteFile(locked, 10);
        File.SetUnixFileMode(locked, UnixFileMode.None);
        var (sent, _) = await InProcess.TransferAsync([source], new ReceiveOptions { Destination = Dest });
        Assert.That(sent.Success, Is.False);
        Assert.That(sent.Failures.Select(f => f.Path), Is.EqualTo(new[] { "tree/locked.bin" }));
        Assert.That(File.Exists(Path.Combine(Dest, "tree", "random.bin")), Is.True);
    }

    private sealed class RecordingObserver : ITransferObserver
    {
        public TransferStarted? Started { get; private set; }

        public TransferProgress? LastProgress { get; private set; }

        public List<FileCompleted> Files { get; } = [];

        public void OnStarted(TransferStarted started) => Started = started;

        public void OnProgress(TransferProgress progress) => LastProgress = progress;

        public void OnFileCompleted(FileCompleted file)
        {
            lock (Files)
            {
                Files.Add(file);
            }
        }
    }
}
