using PeerFlow.Testing;

namespace PeerFlow.Cli.Tests;

/// <summary>--config on the verbs and 'peerflow config', through the real CLI.</summary>
public sealed class ConfigEndToEndTests : FileSystemTest
{
    protected override string Prefix => "peerflow-config";

    private string Write(string name, string json)
    {
        var path = Dir.Combine(name);
        File.WriteAllText(path, json);
        return path;
    }

    [Test]
    public async Task ConfigValidate_ListsEveryProblemWithFileAndLine_AndExits2()
    {
        var bad = Write("bad.json", "{\n  \"pipeline\": { \"readers\": 0 },\n  \"receive\": { \"colour\": 1 }\n}\n");
        var (code, stdout, stderr) = await PeerFlowProcess.RunAsync("config", "validate", bad);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr, Does.Contain($"{bad}:2: pipeline.readers: must be between 1 and 64, not 0"));
        Assert.That(stderr, Does.Contain($"{bad}:3: receive.colour: unknown property; allowed here:"));

        var good = Write("good.json", "{ \"pipeline\": { \"compression\": \"none\" } }");
        var valid = await PeerFlowProcess.RunAsync("config", "validate", good);
        Assert.That(valid.ExitCode, Is.Zero, valid.Stderr);
        Assert.That(valid.Stdout.Trim(), Is.EqualTo($"{good}: valid"));
    }

    [Test]
    public async Task Verbs_TakeTheirSettingsFromTheFile_AndTheCommandLineOverridesIt()
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var fromFile = Dir.Combine("dest-from-file");
        var config = Write("peerflow.json", $$"""
            {
              "pipeline": { "compression": "none", "chunkSize": "64K", "transport": { "name": "tcp", "options": { "inputBufferSize": "1048576" } } },
              "receive": { "listen": "127.0.0.1:0", "dest": "{{fromFile}}", "once": true },
              "send": { "to": "127.0.0.1:1", "reconnects": 0 }
            }
            """);

        // The receiver takes once from the file; StartReceiverAsync's own --listen and --dest override the file's.
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest, "--config", config);
        await using (receiver)
        {
            // The sender's file names a port nobody listens on: --to on the command line wins.
            var sent = await PeerFlowProcess.RunAsync("send", source, "--config", config, "--to", address);
            Assert.That(sent.ExitCode, Is.Zero, sent.Stderr);
            Assert.That(await receiver.WaitForExitAsync(), Is.Zero, "receive.once from the file");
        }

        // --dest on the command line won over receive.dest.
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
        Assert.That(Directory.Exists(fromFile), Is.False);

        // Without --to, the file's unreachable address is used (and fails quickly, with no reconnects).
        var unreachable = await PeerFlowProcess.RunAsync("send", source, "--config", config);
        Assert.That(unreachable.ExitCode, Is.EqualTo(1));
        Assert.That(unreachable.Stderr, Does.Contain("127.0.0.1:1"));
    }

    [Test]
    public async Task InvalidConfig_OnAVerb_IsAUsageError_ListingTheProblems()
    {
        var config = Write("broken.json", "{ \"send\": { \"reconnects\": -1, \"speed\": \"fast\" } }");
        var (code, _, stderr) = await PeerFlowProcess.RunAsync("send", Dir.Path, "--config", config);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("invalid configuration:").And.Contain("send.reconnects: must be between 0 and 1000, not -1").And.Contain("send.speed: unknown property"));
    }

    [Test]
    public async Task ConfigSchema_PrintsTheSchema()
    {
        var (code, stdout, _) = await PeerFlowProcess.RunAsync("config", "schema");
        Assert.That(code, Is.Zero);
        Assert.That(stdout, Does.Contain("\"$schema\": \"https://json-schema.org/draft/2020-12/schema\"").And.Contain("\"additionalProperties\": false"));
    }

    [Test]
    public async Task Run_RunsTheNamedJobsInOrder_KeepsGoingAfterAFailure_AndSummarises()
    {
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var first = Dir.Combine("first");
        var second = Dir.Combine("second");
        var jobs = Write("jobs.json", $$"""
            {
              "pipeline": { "compression": "none" },
              "send": { "reconnects": 0 },
              "jobs": [
                { "name": "mirror", "verb": "copy", "paths": ["{{source}}"], "dest": "{{first}}" },
                { "name": "offsite", "verb": "send", "paths": ["{{source}}"], "send": { "to": "127.0.0.1:1" } },
                { "name": "mirror-lz4", "verb": "copy", "paths": ["{{source}}"], "dest": "{{second}}", "pipeline": { "compression": "lz4" } }
              ]
            }
            """);

        var (code, stdout, stderr) = await PeerFlowProcess.RunAsync("run", jobs);
        Assert.That(code, Is.EqualTo(1), stdout + stderr);
        Assert.That(stdout, Does.Contain("job mirror: done (exit 0)").And.Contain("job offsite: FAILED (exit 1)").And.Contain("job mirror-lz4: done (exit 0)"));
        Assert.That(stdout, Does.Contain("run: 3 jobs, 2 succeeded, 1 failed"));
        Assert.That(stderr, Does.Contain("127.0.0.1:1"));
        TestTrees.AssertSameTree(source, Path.Combine(first, "tree"));
        TestTrees.AssertSameTree(source, Path.Combine(second, "tree"));

        var one = await PeerFlowProcess.RunAsync("run", jobs, "mirror");
        Assert.That(one.ExitCode, Is.Zero, one.Stderr);
        Assert.That(one.Stdout, Does.Contain("run: 1 jobs, 1 succeeded, 0 failed"));

        var json = await PeerFlowProcess.RunAsync("run", jobs, "mirror", "--output", "json");
        Assert.That(json.ExitCode, Is.Zero, json.Stderr);
        using (var last = System.Text.Json.JsonDocument.Parse(json.Stdout.Trim().Split('\n')[^1]))
        {
            Assert.That(last.RootElement.GetProperty("event").GetString(), Is.EqualTo("run"));
            Assert.That(last.RootElement.GetProperty("succeeded").GetInt32(), Is.EqualTo(1));
        }

        var unknown = await PeerFlowProcess.RunAsync("run", jobs, "nope");
        Assert.That(unknown.ExitCode, Is.EqualTo(2));
        Assert.That(unknown.Stderr, Does.Contain("has no job named 'nope' (it has: mirror, offsite, mirror-lz4)"));
    }

    [TestCase("12", "--bwlimit must be at least 1K")]
    [TestCase("fast", "--bwlimit: 'fast' is not a size")]
    public async Task BadBandwidthLimit_IsAUsageError(string rate, string expected)
    {
        var (code, _, stderr) = await PeerFlowProcess.RunAsync("send", Dir.Path, "--to", "127.0.0.1:9", "--bwlimit", rate);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain(expected));
    }

    [Test]
    public async Task ExcludeAndInclude_FromTheCommandLineAndTheFile_LeaveOutWhatTheySay()
    {
        var root = Dir.Combine("src", "project");
        foreach (var file in new[] { "a.txt", "b.tmp", "keep.tmp", "cache/c.bin", "notes/n.md" })
        {
            TestTrees.WriteFile(Path.Combine(root, file), 100);
        }

        var config = Write("filters.json", "{ \"pipeline\": { \"exclude\": [\"cache/\"] } }");
        var (code, _, stderr) = await PeerFlowProcess.RunAsync("copy", root, Dest, "--config", config, "--exclude", "*.tmp", "--exclude", "*.md", "--include", "keep.tmp");
        Assert.That(code, Is.Zero, stderr);
        var arrived = Directory.GetFiles(Path.Combine(Dest, "project"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Path.Combine(Dest, "project"), f)).ToList();
        Assert.That(arrived, Is.EquivalentTo(new[] { "a.txt", "keep.tmp" }));

        var bad = await PeerFlowProcess.RunAsync("copy", root, Dest, "--exclude", "[oops");
        Assert.That(bad.ExitCode, Is.EqualTo(2));
        Assert.That(bad.Stderr, Does.Contain("'[oops' has a '[' without its ']'"));
    }
}
