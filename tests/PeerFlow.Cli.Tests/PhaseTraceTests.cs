using System.Text.RegularExpressions;

using PeerFlow.Testing;

namespace PeerFlow.Cli.Tests;

/// <summary><c>PEERFLOW_TRACE_PHASES=1</c>: a sync's phases as timestamped lines on standard error, and nothing else changes.</summary>
public sealed partial class PhaseTraceTests : FileSystemTest
{
    protected override string Prefix => "peerflow-trace";

    [GeneratedRegex(@"^peerflow-trace: (\d+) (\d+) (-?\d+) (.+)$", RegexOptions.Multiline)]
    private static partial Regex TraceLine();

    [Test]
    public async Task ATracedSync_MarksItsPhasesInOrder_OnStandardErrorOnly()
    {
        var source = Dir.Combine("src");
        TestTrees.WriteFile(Path.Combine(source, "a.txt"), 1000, compressible: true);
        TestTrees.WriteFile(Path.Combine(source, "sub", "b.bin"), 70_000, seed: 3);
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest);
        await using (receiver)
        {
            var plain = await PeerFlowProcess.RunAsync(["sync", source, "--to", address]);
            Assert.That(plain.ExitCode, Is.Zero, plain.Stderr);
            Assert.That(TraceLine().IsMatch(plain.Stderr), Is.False, "no marks without the variable");

            var (code, stdout, stderr) = await PeerFlowProcess.RunAsync(["sync", source, "--to", address], new Dictionary<string, string> { ["PEERFLOW_TRACE_PHASES"] = "1" });
            Assert.That(code, Is.Zero, stderr);
            Assert.That(stdout, Does.Contain("sync done: checked 2 files").And.Not.Contain("peerflow-trace"));
            var marks = TraceLine().Matches(stderr).Select(m => (Time: long.Parse(m.Groups[1].Value), Name: m.Groups[4].Value.TrimEnd('\r'))).ToList();
            var names = marks.Select(m => m.Name).ToList();
            string[] expected = ["main", "parsed", "walk started", "transport loaded", "connecting", "connected", "handshake done", "reply received", "pipeline started", "everything sent", "summary received", "summary printed"];
            Assert.That(names.Where(expected.Contains), Is.EqualTo(expected), stderr);
            Assert.That(names[^1], Does.StartWith("exit 0 (GCs "));
            Assert.That(marks.Where(m => expected.Contains(m.Name)).Select(m => m.Time), Is.Ordered, "one phase after the other");
            Assert.That(marks[^1].Time - marks[0].Time, Is.InRange(0, 90_000_000), "microseconds since the Unix epoch");
        }
    }
}
