using System.Text.Json;

using PeerFlow.Testing;

namespace PeerFlow.Cli.Tests;

/// <summary>
/// Interruptions as users meet them, through the real CLI: a process killed with SIGKILL, a connection that keeps
/// dropping, Ctrl+C on either side. The slow or broken link is the test-only <c>faulty</c> transport plugin,
/// selected with <c>--transport faulty</c> and configured through <c>PEERFLOW_FAULTS</c>.
/// </summary>
public sealed class ResumeEndToEndTests : FileSystemTest
{
    protected override string Prefix => "peerflow-resume";

    private static string PluginsDir => Path.Combine(AppContext.BaseDirectory, "plugins");

    private string StateDirectory => Path.Combine(Dest, ".peerflow");

    private static PeerFlowProcess StartSender(string source, string address, string? faults, params string[] extra)
        => PeerFlowProcess.Start(
            ["send", source, "--to", address, "--transport", "faulty", "--plugins-dir", PluginsDir, "--output", "json", .. extra],
            new Dictionary<string, string> { ["PEERFLOW_FAULTS"] = faults ?? "" });

    /// <summary>
    /// Bytes in the receiver's partial files now. The receiver keeps working while they are counted: a file placed
    /// (renamed away) meanwhile counts 0, a store removed meanwhile counts nothing.
    /// </summary>
    private long PartialBytes()
    {
        try
        {
            return new DirectoryInfo(StateDirectory).EnumerateFiles("*.part", SearchOption.AllDirectories).Sum(f =>
            {
                f.Refresh();
                return f.Exists ? f.Length : 0;
            });
        }
        catch (DirectoryNotFoundException)
        {
            return 0;
        }
    }

    private static JsonElement Completed(string stdout)
    {
        var line = stdout.Split('\n').Single(l => l.Contains("\"event\":\"completed\"", StringComparison.Ordinal));
        return JsonDocument.Parse(line).RootElement;
    }

    [Test]
    public async Task ReceiverKilledWithSigkillAtHalfway_SameSendAgainResumes_ResendingOnlyTheRest()
    {
        const long size = 96 << 20;
        var source = Dir.Combine("src", "big");
        TestTrees.WriteFile(Path.Combine(source, "a.bin"), size);

        long kept;
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest, "--once");
        await using (receiver)
        {
            await using var sender = StartSender(source, address, "rate=48M", "--reconnects", "0");
            await Eventually.WaitUntilAsync(() => PartialBytes() >= size / 2, PeerFlowProcess.Timeout);
            await receiver.KillAsync();
            Assert.That(await sender.WaitForExitAsync(), Is.EqualTo(1), "the sender fails: it was told not to reconnect");
            kept = PartialBytes();
        }

        Assert.That(File.Exists(Path.Combine(Dest, "big", "a.bin")), Is.False, "nothing half-written at the final path");
        Assert.That(kept, Is.GreaterThanOrEqualTo(size / 2));

        var (again, newAddress) = await PeerFlowProcess.StartReceiverAsync(Dest, "--once");
        await using (again)
        {
            await using var sender = StartSender(source, newAddress, null);
            Assert.That(await sender.WaitForExitAsync(), Is.Zero, sender.Stdout + sender.Stderr);
            Assert.That(await again.WaitForExitAsync(), Is.Zero, again.Stdout + again.Stderr);
            var result = Completed(sender.Stdout);
            Assert.That(result.GetProperty("bytes").GetInt64(), Is.EqualTo(size));
            Assert.That(result.GetProperty("bytesAlreadyThere").GetInt64(), Is.EqualTo(kept), "the second run sends exactly the remainder");
        }

        TestTrees.AssertSameTree(source, Path.Combine(Dest, "big"));
        Assert.That(Directory.Exists(StateDirectory), Is.False, "no journal or partial file is left");
    }

    [Test]
    public async Task SenderKilledWithSigkill_ReceiverWaits_SameSendAgainResumesAndBothSucceed()
    {
        const long size = 64 << 20;
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        TestTrees.WriteFile(Path.Combine(source, "big.bin"), size);
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest, "--once");
        await using (receiver)
        {
            await using (var sender = StartSender(source, address, "rate=32M"))
            {
                await Eventually.WaitUntilAsync(() => PartialBytes() >= size / 4, PeerFlowProcess.Timeout);
                await sender.KillAsync();
            }

            // The receiver noticed the dead connection and keeps waiting for the sender to come back.
            await Eventually.WaitUntilAsync(() => receiver.Stderr.Contains("waiting for the sender", StringComparison.Ordinal), PeerFlowProcess.Timeout);
            await using var again = StartSender(source, address, null);
            Assert.That(await again.WaitForExitAsync(), Is.Zero, again.Stdout + again.Stderr);
            Assert.That(await receiver.WaitForExitAsync(), Is.Zero, receiver.Stdout + receiver.Stderr);
            Assert.That(Completed(again.Stdout).GetProperty("bytesAlreadyThere").GetInt64(), Is.GreaterThanOrEqualTo(size / 4));
        }

        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
        Assert.That(Directory.Exists(StateDirectory), Is.False);
    }

    [Test]
    public async Task ConnectionCutAgainAndAgain_SenderReconnectsByItself_AndTheTreeArrives()
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        TestTrees.WriteFile(Path.Combine(source, "big.bin"), 20 << 20);
        TestTrees.CreateSmallFiles(source, 300);
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest, "--once");
        await using (receiver)
        {
            await using var sender = PeerFlowProcess.Start(
                ["send", source, "--to", address, "--transport", "faulty", "--plugins-dir", PluginsDir],
                new Dictionary<string, string> { ["PEERFLOW_FAULTS"] = "cut-after=3M;cuts=3" });
            Assert.That(await sender.WaitForExitAsync(), Is.Zero, sender.Stdout + sender.Stderr);
            Assert.That(await receiver.WaitForExitAsync(), Is.Zero, receiver.Stdout + receiver.Stderr);
            Assert.That(sender.Stderr, Does.Contain("connection lost").And.Contain("reconnecting"));
            Assert.That(sender.Stdout, Does.Contain("done:").And.Contain("already there (resumed)"));
        }

        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
    }

    [Test]
    public async Task CtrlCOnTheSender_BothSidesEndCancelled_WithExitCode3_AndKeepWhatArrived()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("Unix signals");
        }

        var source = Dir.Combine("src", "big");
        TestTrees.WriteFile(Path.Combine(source, "a.bin"), 64 << 20);
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest, "--once");
        await using (receiver)
        {
            await using var sender = StartSender(source, address, "rate=32M");
            await Eventually.WaitUntilAsync(() => PartialBytes() >= 4 << 20, PeerFlowProcess.Timeout);
            sender.Signal("INT");
            Assert.That(await sender.WaitForExitAsync(), Is.EqualTo(3), sender.Stdout + sender.Stderr);
            Assert.That(await receiver.WaitForExitAsync(), Is.EqualTo(3), receiver.Stdout + receiver.Stderr);
            Assert.That(receiver.Stderr, Does.Contain("the peer cancelled the transfer: cancelled by the sender"));
        }

        Assert.That(PartialBytes(), Is.GreaterThanOrEqualTo(4 << 20), "what arrived is kept for a later run");
        Assert.That(File.Exists(Path.Combine(Dest, "big", "a.bin")), Is.False);
    }
}
