using System.Diagnostics;

using PeerFlow.Testing;

namespace PeerFlow.Cli.Tests;

/// <summary>
/// The interactive keys, as a user presses them: <c>peerflow send</c> runs on a real pseudo-terminal (util-linux
/// <c>script</c>), and the test types <c>p</c> and <c>r</c> into it.
/// </summary>
public sealed class KeyControlTests : FileSystemTest
{
    protected override string Prefix => "peerflow-keys";

    private long PartialBytes()
    {
        var state = Path.Combine(Dest, ".peerflow");
        return Directory.Exists(state) ? Directory.GetFiles(state, "*.part", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;
    }

    [Test]
    public async Task PressingPAndR_OnATerminal_PausesBothSidesAndResumes()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/script"))
        {
            Assert.Ignore("needs util-linux 'script' to give peerflow a terminal");
        }

        var source = Dir.Combine("src", "big");
        TestTrees.WriteFile(Path.Combine(source, "a.bin"), 48 << 20);
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest, "--once");
        await using (receiver)
        {
            var command = string.Join(' ', new[] { "dotnet", PeerFlowProcess.CliPath, "send", source, "--to", address, "--transport", "faulty", "--plugins-dir", Path.Combine(AppContext.BaseDirectory, "plugins") }.Select(Quote));
            var info = new ProcessStartInfo("/usr/bin/script") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { "-q", "-e", "-c", command, "/dev/null" })
            {
                info.ArgumentList.Add(arg);
            }

            info.Environment["PEERFLOW_FAULTS"] = "rate=12M";
            info.Environment["PEERFLOW_HOME"] = PeerFlowProcess.SharedHome;
            info.Environment.Remove("CI");
            using var sender = Process.Start(info)!;
            var output = sender.StandardOutput.ReadToEndAsync();
            try
            {
                await Eventually.WaitUntilAsync(() => PartialBytes() >= 2 << 20, PeerFlowProcess.Timeout);
                await sender.StandardInput.WriteAsync('p');
                await sender.StandardInput.FlushAsync();
                await Eventually.WaitUntilAsync(() => receiver.Stderr.Contains("paused (paused by the sender)", StringComparison.Ordinal), PeerFlowProcess.Timeout);
                // At 12 MB/s a chunk lands every ~90 ms while data flows; paused, the partial file stops growing.
                var paused = await Eventually.WaitUntilSteadyAsync(PartialBytes, samples: 50);
                Assert.That(paused, Is.LessThan(48 << 20), "nothing arrives while paused");

                await sender.StandardInput.WriteAsync('r');
                await sender.StandardInput.FlushAsync();
                Assert.That(await receiver.WaitForExitAsync(), Is.Zero, receiver.Stdout + receiver.Stderr);
                await sender.WaitForExitAsync().WaitAsync(PeerFlowProcess.Timeout);
                Assert.That(sender.ExitCode, Is.Zero, await output);
                Assert.That(receiver.Stderr, Does.Contain("peerflow: resumed"));
            }
            finally
            {
                if (!sender.HasExited)
                {
                    sender.Kill(entireProcessTree: true);
                }
            }
        }

        TestTrees.AssertSameTree(source, Path.Combine(Dest, "big"));
    }

    private static string Quote(string arg) => "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
