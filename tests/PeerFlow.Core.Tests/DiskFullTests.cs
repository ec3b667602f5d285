using System.Diagnostics;

using PeerFlow.Files;
using PeerFlow.Session;
using PeerFlow.Testing;
using PeerFlow.Transfers;

namespace PeerFlow.Core.Tests;

/// <summary>A receiver whose disk fills up, on a real (small) tmpfs mounted as the destination.</summary>
[NonParallelizable]
public sealed class DiskFullTests : FileSystemTest
{
    private bool _mounted;

    [SetUp]
    public void MountSmallDisk()
    {
        Directory.CreateDirectory(Dest);
        if (!OperatingSystem.IsLinux() || Run("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", Dest) is { } error)
        {
            Assert.Ignore($"needs to mount a 6 MiB tmpfs (Linux, root or CAP_SYS_ADMIN) to fill a disk for real: {(OperatingSystem.IsLinux() ? "mount failed" : "not Linux")}");
        }

        _mounted = true;
    }

    [TearDown]
    public void Unmount()
    {
        if (_mounted)
        {
            Run("umount", Dest);
        }
    }

    [Test]
    public void DiskFillsUp_TransferFailsNamingTheFile_SenderIsTold_ExistingFilesUntouched_PartialKept()
    {
        File.WriteAllText(Path.Combine(Dest, "precious.txt"), "do not touch");
        var source = Dir.Combine("src", "data");
        TestTrees.WriteFile(Path.Combine(source, "a.bin"), 3 << 20);
        TestTrees.WriteFile(Path.Combine(source, "b.bin"), 3 << 20);
        TestTrees.WriteFile(Path.Combine(source, "c.bin"), 3 << 20);
        // The announced total fits, each file fits; together with the preallocation they do not.
        var receive = new ReceiveOptions { Destination = Dest, CheckFreeSpace = false };

        var error = Assert.ThrowsAsync<PeerErrorException>(() => InProcess.TransferAsync([source], receive, new SendOptions { ChunkSize = ChunkSizePolicy.Fixed(256 * 1024) }));
        Assert.That(error!.Message, Does.Contain("disk is full").And.Match("'data/[abc].bin'"));
        Assert.That(File.ReadAllText(Path.Combine(Dest, "precious.txt")), Is.EqualTo("do not touch"));
        Assert.That(Directory.Exists(Path.Combine(Dest, ".peerflow")), Is.True, "what arrived is kept for a resume once there is space");
        foreach (var placed in Directory.GetFiles(Path.Combine(Dest, "data")))
        {
            Assert.That(File.ReadAllBytes(placed), Is.EqualTo(File.ReadAllBytes(Path.Combine(source, Path.GetFileName(placed)))), "whatever was placed is whole");
        }
    }

    [Test]
    public void TransferBiggerThanTheFreeSpace_IsRefusedBeforeAnythingIsWritten()
    {
        var source = Dir.Combine("src", "data");
        TestTrees.WriteFile(Path.Combine(source, "a.bin"), 8 << 20);
        var error = Assert.ThrowsAsync<TransferRefusedException>(() => InProcess.TransferAsync([source], new ReceiveOptions { Destination = Dest }));
        Assert.That(error!.Message, Does.Contain("not enough space in the destination").And.Contain("8,388,608 bytes"));
        Assert.That(Directory.GetFileSystemEntries(Dest), Is.Empty, "nothing written, no partial store left");
    }

    private static string? Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(info)!;
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? null : stderr;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return ex.Message;
        }
    }
}
