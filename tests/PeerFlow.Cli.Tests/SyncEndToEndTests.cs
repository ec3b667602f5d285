using System.Text.Json;

using PeerFlow.Testing;

namespace PeerFlow.Cli.Tests;

/// <summary>
/// <c>peerflow sync</c> through the real CLI against a real receiver: only what changed travels, deletions are
/// guarded, a dry run changes nothing, and the summary says what happened.
/// </summary>
public sealed class SyncEndToEndTests : FileSystemTest
{
    protected override string Prefix => "peerflow-sync";

    private static readonly DateTime Old = new(2021, 5, 6, 7, 8, 9, DateTimeKind.Utc);

    private string Source => Dir.Combine("src");

    private string Replica => Path.Combine(Dest, "src");

    private string CreateSource()
    {
        TestTrees.WriteFile(Path.Combine(Source, "keep.txt"), 1000, compressible: true);
        TestTrees.WriteFile(Path.Combine(Source, "change.bin"), 200_000, seed: 2);
        TestTrees.WriteFile(Path.Combine(Source, "sub", "inner.txt"), 3000, compressible: true);
        TestTrees.WriteFile(Path.Combine(Source, "sub", "deeper", "gone.txt"), 500, compressible: true);
        TestTrees.WriteFile(Path.Combine(Source, "notes.tmp"), 10, compressible: true);
        Directory.CreateDirectory(Path.Combine(Source, "empty"));
        foreach (var file in Directory.EnumerateFiles(Source, "*", SearchOption.AllDirectories))
        {
            File.SetLastWriteTimeUtc(file, Old);
        }

        return Source;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> SyncAsync(string address, string source, params string[] extra)
        => await PeerFlowProcess.RunAsync(["sync", source, "--to", address, .. extra]);

    private static List<JsonElement> Events(string stdout, string name)
        => [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.GetProperty("event").GetString() == name)];

    private static JsonElement SyncResult(string stdout) => Events(stdout, "completed").Concat(Events(stdout, "failed")).Single().GetProperty("sync");

    [Test]
    public async Task FirstSyncCopiesTheTree_ASecondSendsNothing_AndTheSummarySaysSo()
    {
        CreateSource();
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(Source, "keep.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest);
        await using (receiver)
        {
            var (code, stdout, stderr) = await SyncAsync(address, Source);
            Assert.That(code, Is.Zero, stderr);
            Assert.That(stdout, Does.Contain("sync done: checked 5 files").And.Contain("5 new, 0 updated); 0 unchanged;").And.Contain("effective"));
            TestTrees.AssertSameTree(Source, Replica);
            if (!OperatingSystem.IsWindows())
            {
                Assert.That(File.GetUnixFileMode(Path.Combine(Replica, "keep.txt")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            }

            (code, stdout, stderr) = await SyncAsync(address, Source);
            Assert.That(code, Is.Zero, stderr);
            Assert.That(stdout, Does.Contain("sent 0 (0 B: 0 new, 0 updated); 5 unchanged;"));
        }
    }

    [Test]
    public async Task ChangedAndNewFilesAreSent_UnchangedOnesAreNot_AndPermissionsFollowWithoutData()
    {
        CreateSource();
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest);
        await using (receiver)
        {
            Assert.That((await SyncAsync(address, Source)).Code, Is.Zero);
            TestTrees.WriteFile(Path.Combine(Source, "change.bin"), 200_000, seed: 99);
            File.SetLastWriteTimeUtc(Path.Combine(Source, "change.bin"), Old.AddDays(1));
            TestTrees.WriteFile(Path.Combine(Source, "sub", "new.txt"), 77, compressible: true);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(Path.Combine(Source, "keep.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var (code, stdout, stderr) = await SyncAsync(address, Source, "--output", "json");
            Assert.That(code, Is.Zero, stderr);
            var changes = Events(stdout, "sync-change").Select(e => $"{e.GetProperty("change").GetString()} {e.GetProperty("path").GetString()}").ToList();
            Assert.That(changes, Is.EquivalentTo(new[] { "update change.bin", "new sub/new.txt" }));
            var sync = SyncResult(stdout);
            Assert.That(sync.GetProperty("filesUnchanged").GetInt64(), Is.EqualTo(4));
            Assert.That(sync.GetProperty("bytesUpdated").GetInt64(), Is.EqualTo(200_000));
            TestTrees.AssertSameTree(Source, Replica);
            if (!OperatingSystem.IsWindows())
            {
                Assert.That(File.GetUnixFileMode(Path.Combine(Replica, "keep.txt")) & UnixFileMode.UserExecute, Is.EqualTo(UnixFileMode.UserExecute), "the new permission arrived with the unchanged file");
            }
        }
    }

    [Test]
    public async Task Checksum_FindsAChangeSizeAndTimeMiss_AndAlignsTheTimeOfIdenticalContent()
    {
        CreateSource();
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest);
        await using (receiver)
        {
            Assert.That((await SyncAsync(address, Source)).Code, Is.Zero);

            // Same size, same time, other bytes: invisible to size + time.
            var sneaky = Path.Combine(Source, "change.bin");
            TestTrees.WriteFile(sneaky, 200_000, seed: 5);
            File.SetLastWriteTimeUtc(sneaky, Old);

            // Same bytes, another time: a change to size + time, none to a checksum.
            var touched = Path.Combine(Source, "keep.txt");
            File.SetLastWriteTimeUtc(touched, Old.AddHours(3));

            var (code, stdout, stderr) = await SyncAsync(address, Source, "--output", "json", "--checksum");
            Assert.That(code, Is.Zero, stderr);
            var changes = Events(stdout, "sync-change").Select(e => $"{e.GetProperty("change").GetString()} {e.GetProperty("path").GetString()}").ToList();
            Assert.That(changes, Is.EqualTo(new[] { "update change.bin" }));
            TestTrees.AssertSameTree(Source, Replica);
        }
    }

    [Test]
    public async Task Delete_RemovesWhatTheSourceNoLongerHas_ButNeverWhatItLeavesOutOnPurpose()
    {
        CreateSource();
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest);
        await using (receiver)
        {
            Assert.That((await SyncAsync(address, Source)).Code, Is.Zero);
            File.Delete(Path.Combine(Source, "sub", "deeper", "gone.txt"));
            Directory.Delete(Path.Combine(Source, "sub", "deeper"));
            File.WriteAllText(Path.Combine(Replica, "local-only.log"), "made on the replica");
            File.WriteAllText(Path.Combine(Replica, "scratch.tmp"), "left out on purpose");
            File.WriteAllText(Path.Combine(Source, ".peerflowignore"), "cache/\n");
            Directory.CreateDirectory(Path.Combine(Replica, "cache"));
            File.WriteAllText(Path.Combine(Replica, "cache", "c.bin"), "protected by the ignore file");

            // Without --delete nothing goes.
            Assert.That((await SyncAsync(address, Source, "--exclude", "*.tmp")).Code, Is.Zero);
            Assert.That(File.Exists(Path.Combine(Replica, "sub", "deeper", "gone.txt")), Is.True);

            var (code, stdout, stderr) = await SyncAsync(address, Source, "--delete", "--exclude", "*.tmp", "--verbose");
            Assert.That(code, Is.Zero, stderr);
            Assert.That(stdout, Does.Contain("deleted      sub/deeper/gone.txt").And.Contain("deleted      sub/deeper/").And.Contain("deleted      local-only.log"));
            Assert.That(stdout, Does.Contain("deleted 3 ("));
            Assert.That(Directory.Exists(Path.Combine(Replica, "sub", "deeper")), Is.False);
            Assert.That(File.Exists(Path.Combine(Replica, "local-only.log")), Is.False);
            Assert.That(File.Exists(Path.Combine(Replica, "scratch.tmp")), Is.True, "excluded at the source: protected");
            Assert.That(File.Exists(Path.Combine(Replica, "notes.tmp")), Is.True, "excluded at the source: protected");
            Assert.That(File.Exists(Path.Combine(Replica, "cache", "c.bin")), Is.True, "ignored at the source: protected");
            Assert.That(File.Exists(Path.Combine(Replica, "sub", "inner.txt")), Is.True);
        }
    }

    [Test]
    public async Task MaxDelete_AndTheDefaultShareLimit_DeleteNothing_AndFailLoudly()
    {
        CreateSource();
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest);
        await using (receiver)
        {
            Assert.That((await SyncAsync(address, Source)).Code, Is.Zero);
            File.Delete(Path.Combine(Source, "keep.txt"));
            File.Delete(Path.Combine(Source, "notes.tmp"));

            var (code, stdout, stderr) = await SyncAsync(address, Source, "--delete", "--max-delete", "1");
            Assert.That(code, Is.EqualTo(1), stdout);
            Assert.That(stderr, Does.Contain("deletion refused: 2 entries would be deleted, more than the limit of 1 (--max-delete); nothing was deleted"));
            Assert.That(stdout, Does.Contain("sync FAILED"));
            Assert.That(File.Exists(Path.Combine(Replica, "keep.txt")), Is.True);
            Assert.That(File.Exists(Path.Combine(Replica, "notes.tmp")), Is.True);

            // Most of the tree gone at the source: the default limit (50 %) holds.
            Directory.Delete(Path.Combine(Source, "sub"), recursive: true);

            (code, stdout, stderr) = await SyncAsync(address, Source, "--delete");
            Assert.That(code, Is.EqualTo(1), stdout);
            Assert.That(stderr, Does.Match(@"deletion refused: \d+ of the \d+ entries in the target \(\d+%\) would be deleted, more than the limit of 50% \(--max-delete N allows more\); nothing was deleted"));
            Assert.That(File.Exists(Path.Combine(Replica, "sub", "inner.txt")), Is.True);

            (code, stdout, stderr) = await SyncAsync(address, Source, "--delete", "--max-delete", "100");
            Assert.That(code, Is.Zero, stderr);
            Assert.That(File.Exists(Path.Combine(Replica, "sub", "inner.txt")), Is.False);
        }
    }

    [Test]
    public async Task AnEmptySource_DeletesNothing_AndAMissingOneIsAUsageError()
    {
        CreateSource();
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest);
        await using (receiver)
        {
            Assert.That((await SyncAsync(address, Source)).Code, Is.Zero);
            var before = TestTrees.Describe(Replica);
            var mountPoint = Dir.Combine("unmounted", "src");
            Directory.CreateDirectory(mountPoint);

            var (code, stdout, stderr) = await SyncAsync(address, mountPoint, "--delete", "--max-delete", "1000000");
            Assert.That(code, Is.EqualTo(1), stdout);
            Assert.That(stderr, Does.Contain("is empty").And.Contain("deletion refused: the source is empty (an unmounted disk looks like this); nothing was deleted"));
            Assert.That(TestTrees.Describe(Replica).Keys, Is.EquivalentTo(before.Keys));

            (code, _, stderr) = await SyncAsync(address, Dir.Combine("no-such-dir"), "--delete");
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain("does not exist (is its disk mounted?); nothing was synced"));
        }
    }

    [Test]
    public async Task DryRun_PrintsExactlyWhatWouldHappen_AndChangesNothing()
    {
        CreateSource();
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest);
        await using (receiver)
        {
            Assert.That((await SyncAsync(address, Source)).Code, Is.Zero);
            TestTrees.WriteFile(Path.Combine(Source, "change.bin"), 200_001, seed: 8);
            TestTrees.WriteFile(Path.Combine(Source, "brand", "new.txt"), 12, compressible: true);
            File.Delete(Path.Combine(Source, "notes.tmp"));
            var before = TestTrees.Describe(Dest);

            var (code, stdout, stderr) = await SyncAsync(address, Source, "--delete", "--dry-run");
            Assert.That(code, Is.Zero, stderr);
            var lines = stdout.Split('\n').Where(l => l.StartsWith("would ", StringComparison.Ordinal)).Select(l => l.TrimEnd()).ToList();
            Assert.That(lines, Is.EquivalentTo(new[]
            {
                "would update change.bin (195.3 KiB)",
                "would send   brand/new.txt (12 B)",
                "would delete notes.tmp",
            }));
            Assert.That(stdout, Does.Contain("dry run: checked 5 files").And.Contain("would send 2 (").And.Contain("1 new, 1 updated); 3 unchanged; would delete 1 (10 B); nothing was changed"));
            Assert.That(TestTrees.Describe(Dest), Is.EqualTo(before), "a dry run changes nothing, not even PeerFlow's own state");
        }
    }

    [Test]
    public async Task Trash_KeepsWhatWasDeleted_UnderTheTargetsStateDirectory()
    {
        CreateSource();
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest);
        await using (receiver)
        {
            Assert.That((await SyncAsync(address, Source)).Code, Is.Zero);
            var original = File.ReadAllBytes(Path.Combine(Source, "sub", "deeper", "gone.txt"));
            Directory.Delete(Path.Combine(Source, "sub", "deeper"), recursive: true);

            var (code, _, stderr) = await SyncAsync(address, Source, "--delete", "--trash");
            Assert.That(code, Is.Zero, stderr);
            Assert.That(Directory.Exists(Path.Combine(Replica, "sub", "deeper")), Is.False);
            var trashed = Directory.GetFiles(Path.Combine(Replica, ".peerflow", "trash"), "gone.txt", SearchOption.AllDirectories);
            Assert.That(trashed, Has.Length.EqualTo(1));
            Assert.That(File.ReadAllBytes(trashed[0]), Is.EqualTo(original));
            Assert.That(trashed[0], Does.EndWith(Path.Combine("sub", "deeper", "gone.txt")));
        }
    }

    [Test]
    public async Task ReceiverPolicies_NoDeleteRefusesDeletion_RefuseRefusesTheSync()
    {
        CreateSource();
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest, "--sync", "no-delete");
        await using (receiver)
        {
            Assert.That((await SyncAsync(address, Source)).Code, Is.Zero);
            File.Delete(Path.Combine(Source, "keep.txt"));
            var (code, _, stderr) = await SyncAsync(address, Source, "--delete");
            Assert.That(code, Is.EqualTo(1));
            Assert.That(stderr, Does.Contain("deletion refused: this receiver does not allow deletions (it runs with --sync no-delete)"));
            Assert.That(File.Exists(Path.Combine(Replica, "keep.txt")), Is.True);
        }

        var (refusing, refusingAddress) = await PeerFlowProcess.StartReceiverAsync(Dir.Combine("other"), "--sync", "refuse");
        await using (refusing)
        {
            var (code, _, stderr) = await SyncAsync(refusingAddress, Source);
            Assert.That(code, Is.EqualTo(1));
            Assert.That(stderr, Does.Contain("does not accept sync transfers"));
        }
    }

    [Test]
    public async Task Target_NamesWhereBelowTheDestination_AndCannotLeaveIt()
    {
        CreateSource();
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest);
        await using (receiver)
        {
            var (code, _, stderr) = await SyncAsync(address + "/backups/laptop", Source);
            Assert.That(code, Is.Zero, stderr);
            TestTrees.AssertSameTree(Source, Path.Combine(Dest, "backups", "laptop"));

            (code, _, stderr) = await SyncAsync(address + "/../outside", Source);
            Assert.That(code, Is.EqualTo(1));
            Assert.That(stderr, Does.Contain("the receiver refused the transfer"));
            Assert.That(Directory.Exists(Dir.Combine("outside")), Is.False);
        }

        var mirror = Dir.Combine("mirror");
        var (whole, wholeAddress) = await PeerFlowProcess.StartReceiverAsync(mirror);
        await using (whole)
        {
            var (code, _, stderr) = await SyncAsync(wholeAddress + "/", Source);
            Assert.That(code, Is.Zero, stderr);
            TestTrees.AssertSameTree(Source, mirror);
        }
    }

    [Test]
    public async Task AFileWhereADirectoryWas_AndTheReverse_AreReplacedOnlyWithDelete_AndTheOldOnesGoToTheTrash()
    {
        CreateSource();
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest);
        await using (receiver)
        {
            Assert.That((await SyncAsync(address, Source)).Code, Is.Zero);
            Directory.Delete(Path.Combine(Source, "sub"), recursive: true);
            File.WriteAllText(Path.Combine(Source, "sub"), "now a file");
            File.Delete(Path.Combine(Source, "keep.txt"));
            TestTrees.WriteFile(Path.Combine(Source, "keep.txt", "inside.txt"), 10, compressible: true);

            var (code, _, stderr) = await SyncAsync(address, Source);
            Assert.That(code, Is.EqualTo(1));
            Assert.That(stderr, Does.Contain("sub: a directory is where this file goes; sync with --delete to replace it"));
            Assert.That(stderr, Does.Contain("keep.txt: a file is where this directory goes; sync with --delete to replace it"));
            Assert.That(File.Exists(Path.Combine(Replica, "sub", "inner.txt")), Is.True, "nothing replaced without --delete");

            (code, var stdout, stderr) = await SyncAsync(address, Source, "--delete", "--verbose");
            Assert.That(code, Is.Zero, stderr);
            Assert.That(stdout, Does.Contain("deleted      sub/").And.Contain("deleted      keep.txt"));
            var got = TestTrees.Describe(Replica).Where(e => !e.Key.StartsWith(".peerflow", StringComparison.Ordinal)).ToDictionary();
            Assert.That(got, Is.EquivalentTo(TestTrees.Describe(Source)));
            var trash = Path.Combine(Replica, ".peerflow", "trash");
            Assert.That(Directory.GetFiles(trash, "inner.txt", SearchOption.AllDirectories), Has.Length.EqualTo(1), "the replaced directory is in the trash");
            Assert.That(Directory.GetFiles(trash, "keep.txt", SearchOption.AllDirectories), Has.Length.EqualTo(1), "and so is the replaced file");
        }
    }

    [Test]
    public async Task Send_WithATarget_StoresItsRootsInsideIt()
    {
        CreateSource();
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest);
        await using (receiver)
        {
            var (code, _, stderr) = await PeerFlowProcess.RunAsync("send", Source, "--to", address + "/incoming/today");
            Assert.That(code, Is.Zero, stderr);
            TestTrees.AssertSameTree(Source, Path.Combine(Dest, "incoming", "today", "src"));
        }
    }

    [Test]
    public async Task SyncJob_RunsFromAConfigurationFile()
    {
        CreateSource();
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest);
        await using (receiver)
        {
            var config = Dir.Combine("jobs.json");
            File.WriteAllText(config, JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["send"] = new Dictionary<string, object> { ["to"] = address + "/nightly" },
                ["sync"] = new Dictionary<string, object> { ["delete"] = true, ["maxDelete"] = 10 },
                ["jobs"] = new[] { new Dictionary<string, object> { ["name"] = "mirror", ["verb"] = "sync", ["paths"] = new[] { Source } } },
            }));
            var (code, stdout, stderr) = await PeerFlowProcess.RunAsync("run", config);
            Assert.That(code, Is.Zero, stderr);
            Assert.That(stdout, Does.Contain("sync done:").And.Contain("job mirror: done (exit 0)"));
            TestTrees.AssertSameTree(Source, Path.Combine(Dest, "nightly"));
        }
    }

    [Test]
    public async Task AChangedBigFile_SendsOnlyWhatDiffers_AnEditOrAnInsertion_UnlessWholeFileIsAsked()
    {
        const int size = 32 << 20;
        var big = Path.Combine(Source, "big.bin");
        TestTrees.WriteFile(big, size, seed: 21);
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest);
        await using (receiver)
        {
            Assert.That((await SyncAsync(address, Source)).Code, Is.Zero);

            // 256 KiB of new random bytes in the middle, then 100 bytes inserted near the start.
            var bytes = File.ReadAllBytes(big);
            new Random(22).NextBytes(bytes.AsSpan(size / 2, 256 * 1024));
            File.WriteAllBytes(big, bytes);
            var edit = await SyncAsync(address, Source, "--output", "json");
            Assert.That(edit.Code, Is.Zero, edit.Stderr);
            var wire = SyncResult(edit.Stdout).GetProperty("wireBytes").GetInt64();
            Assert.That(wire, Is.LessThan(size / 50), "under 2 % of the file crosses the wire");
            Assert.That(wire, Is.GreaterThan(256 * 1024), "the edit itself does");
            Assert.That(SyncResult(edit.Stdout).GetProperty("bytesCopied").GetInt64(), Is.GreaterThan(size - (1 << 20)));
            TestTrees.AssertSameTree(Source, Replica);

            File.WriteAllBytes(big, [.. bytes.AsSpan(0, 4096), .. new byte[100], .. bytes.AsSpan(4096)]);
            var insert = await SyncAsync(address, Source, "--output", "json");
            Assert.That(insert.Code, Is.Zero, insert.Stderr);
            Assert.That(SyncResult(insert.Stdout).GetProperty("wireBytes").GetInt64(), Is.LessThan(size / 50));
            TestTrees.AssertSameTree(Source, Replica);

            bytes = File.ReadAllBytes(big);
            bytes[100] ^= 0xFF;
            File.WriteAllBytes(big, bytes);
            var whole = await SyncAsync(address, Source, "--output", "json", "--whole-file", "--compression", "none");
            Assert.That(whole.Code, Is.Zero, whole.Stderr);
            Assert.That(SyncResult(whole.Stdout).GetProperty("wireBytes").GetInt64(), Is.GreaterThan(size));
            TestTrees.AssertSameTree(Source, Replica);
        }
    }
}
