using System.Text.Json;

using PeerFlow.Testing;

namespace PeerFlow.Cli.Tests;

/// <summary><c>peerflow serve</c> through the real CLI: named shares, each with its own trust and policies; a clean stop.</summary>
public sealed class ServeEndToEndTests : FileSystemTest
{
    protected override string Prefix => "peerflow-serve";

    [Test]
    public async Task Shares_AreAddressedByName_EachWithItsOwnTrustAndPolicy_AndSigtermStopsCleanly()
    {
        var source = Dir.Combine("src");
        TestTrees.WriteFile(Path.Combine(source, "a.txt"), 1000, compressible: true);
        TestTrees.WriteFile(Path.Combine(source, "sub", "b.bin"), 70_000, seed: 4);
        var otherHome = Dir.Combine("other-home");
        var (code, otherId, _) = await PeerFlowProcess.RunAsync("id", "--home", otherHome);
        Assert.That(code, Is.Zero);
        otherId = otherId.Trim().Split('\n')[^1].Trim();
        var photos = Dir.Combine("shares", "photos");
        var inbox = Dir.Combine("shares", "inbox");
        var config = Dir.Combine("daemon.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["serve"] = new Dictionary<string, object>
            {
                ["listen"] = "127.0.0.1:0",
                ["shares"] = new object[]
                {
                    new Dictionary<string, object> { ["name"] = "photos", ["path"] = photos, ["trash"] = true },
                    new Dictionary<string, object> { ["name"] = "inbox", ["path"] = inbox, ["trust"] = new[] { otherId }, ["sync"] = "refuse" },
                },
            },
        }));

        var (daemon, address) = await PeerFlowProcess.StartListeningAsync(["serve", "--config", config]);
        await using (daemon)
        {
            // This installation's own ID may use every share; the other peer only the one that trusts it.
            var sync = await PeerFlowProcess.RunAsync("sync", source, "--to", address + "/photos/laptop");
            Assert.That(sync.ExitCode, Is.Zero, sync.Stderr);
            TestTrees.AssertSameTree(source, Path.Combine(photos, "laptop"));

            var refused = await PeerFlowProcess.RunAsync("sync", source, "--to", address + "/inbox");
            Assert.That(refused.ExitCode, Is.EqualTo(1));
            Assert.That(refused.Stderr, Does.Contain("does not accept sync transfers"));

            var sent = await PeerFlowProcess.RunAsync("send", source, "--to", address + "/inbox", "--home", otherHome);
            Assert.That(sent.ExitCode, Is.Zero, sent.Stderr);
            TestTrees.AssertSameTree(source, Path.Combine(inbox, "src"));

            var stranger = await PeerFlowProcess.RunAsync("send", source, "--to", address + "/photos", "--home", otherHome);
            Assert.That(stranger.ExitCode, Is.EqualTo(1));
            Assert.That(stranger.Stderr, Does.Contain("no share named 'photos' that peer ID " + otherId).And.Contain("(yours: inbox)"));
            Assert.That(Directory.Exists(Path.Combine(photos, "src")), Is.False);

            var unnamed = await PeerFlowProcess.RunAsync("send", source, "--to", address);
            Assert.That(unnamed.Stderr, Does.Contain("this receiver serves shares: name one as HOST:PORT/SHARE[/PATH] (yours: photos, inbox)"));

            daemon.Signal("TERM");
            Assert.That(await daemon.WaitForExitAsync(), Is.Zero, daemon.Stderr);
            Assert.That(daemon.Stderr, Does.Contain("share photos: " + photos).And.Contain("transfer").And.Contain("stopped"));
        }
    }

    [Test]
    public async Task WithoutAServeSection_ItSaysWhatIsMissing()
    {
        var config = Dir.Combine("empty.json");
        File.WriteAllText(config, "{}");
        var (code, _, stderr) = await PeerFlowProcess.RunAsync("serve", "--config", config);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("serve needs a configuration with a serve section"));
    }

    [Test]
    public async Task TransfersInTheDaemon_AreListed_Paused_Resumed_AndCancelled_ThroughItsOwnerOnlySocket()
    {
        var source = Dir.Combine("src");
        TestTrees.WriteFile(Path.Combine(source, "big.bin"), 40 << 20, seed: 9);
        var socket = Dir.Combine("control.sock");
        var config = Dir.Combine("daemon.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["serve"] = new Dictionary<string, object>
            {
                ["listen"] = "127.0.0.1:0",
                ["controlSocket"] = socket,
                ["shares"] = new object[] { new Dictionary<string, object> { ["name"] = "backup", ["path"] = Dir.Combine("backup") } },
            },
        }));
        var (daemon, address) = await PeerFlowProcess.StartListeningAsync(["serve", "--config", config]);
        await using (daemon)
        await using (var sync = PeerFlowProcess.Start(["sync", source, "--to", address + "/backup", "--bwlimit", "4M"]))
        {
            if (!OperatingSystem.IsWindows())
            {
                Assert.That(File.GetUnixFileMode(socket), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            }

            string id = "";
            await Eventually.WaitUntilAsync(() =>
            {
                var list = PeerFlowProcess.RunAsync("transfers", "list", "--socket", socket, "--output", "json").GetAwaiter().GetResult();
                var transfers = JsonDocument.Parse(list.Stdout).RootElement.GetProperty("transfers");
                id = transfers.GetArrayLength() == 1 ? transfers[0].GetProperty("id").GetString()! : "";
                return id.Length > 0;
            }, PeerFlowProcess.Timeout);

            var paused = await PeerFlowProcess.RunAsync("transfers", "pause", id[..8], "--socket", socket);
            Assert.That(paused.ExitCode, Is.Zero, paused.Stderr);
            Assert.That(paused.Stdout, Does.Contain($"paused transfer {id}"));
            await Eventually.WaitUntilAsync(() => PeerFlowProcess.RunAsync("transfers", "list", "--socket", socket).GetAwaiter().GetResult().Stdout.Contains("Paused", StringComparison.Ordinal), PeerFlowProcess.Timeout);
            Assert.That((await PeerFlowProcess.RunAsync("transfers", "resume", id[..8], "--socket", socket)).ExitCode, Is.Zero);

            var unknown = await PeerFlowProcess.RunAsync("transfers", "cancel", "ffffffffff", "--socket", socket);
            Assert.That(unknown.ExitCode, Is.EqualTo(1));
            Assert.That(unknown.Stderr, Does.Contain("no running transfer with an id starting with 'ffffffffff'"));

            Assert.That((await PeerFlowProcess.RunAsync("transfers", "cancel", id[..8], "--socket", socket)).ExitCode, Is.Zero);
            Assert.That(await sync.WaitForExitAsync(), Is.EqualTo(3), "the sender ends cancelled");
            Assert.That(sync.Stderr, Does.Contain("paused").And.Contain("cancelled by the receiver"));
            var empty = await PeerFlowProcess.RunAsync("transfers", "list", "--socket", socket);
            Assert.That(empty.Stdout.Trim(), Is.EqualTo("no transfers running"));

            // A second daemon may not take over a control socket that the first still answers on.
            var second = await PeerFlowProcess.RunAsync("serve", "--config", config);
            Assert.That(second.ExitCode, Is.EqualTo(1));
            Assert.That(second.Stderr, Does.Contain("another daemon answers on the control socket " + socket));
        }

        var gone = await PeerFlowProcess.RunAsync("transfers", "list", "--socket", socket);
        Assert.That(gone.ExitCode, Is.EqualTo(2));
        Assert.That(gone.Stderr, Does.Contain("no daemon answers on " + socket));
    }
}
