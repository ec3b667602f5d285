using PeerFlow.Sync;
using PeerFlow.Testing;

namespace PeerFlow.Core.Tests;

/// <summary>When a watching sync runs again: after changes settle, at the rescan, never for PeerFlow's own state.</summary>
public sealed class ChangeWatcherTests : FileSystemTest
{
    [Test]
    public async Task AChange_IsReportedOnceItSettles_AndTheRescanComesWithout()
    {
        Directory.CreateDirectory(Dest);
        using var watcher = new ChangeWatcher(Dest, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1));
        Assert.That(watcher.Watching, Is.True);

        var waiting = watcher.WaitAsync(CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(Dest, "a.txt"), "a");
        Assert.That(await waiting.WaitAsync(TimeSpan.FromSeconds(10)), Is.True, "a change");

        // PeerFlow's own files do not count: only the rescan ends this wait.
        Directory.CreateDirectory(Path.Combine(Dest, ".peerflow"));
        await File.WriteAllTextAsync(Path.Combine(Dest, ".peerflow", "journal"), "x");
        var started = Environment.TickCount64;
        Assert.That(await watcher.WaitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)), Is.False, "the periodic rescan");
        Assert.That(Environment.TickCount64 - started, Is.GreaterThanOrEqualTo(900));
    }

    [Test]
    public void AWait_IsCancelled()
    {
        Directory.CreateDirectory(Dest);
        using var watcher = new ChangeWatcher(Dest, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        Assert.That(async () => await watcher.WaitAsync(cancel.Token), Throws.InstanceOf<OperationCanceledException>());
    }
}
