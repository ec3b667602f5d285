using PeerFlow.Testing;

namespace PeerFlow.Cli.Tests;

/// <summary>
/// A third party's transport: samples/UnixSocketTransport is built on its own against the contract assembly that
/// ships next to peerflow.dll, its output folder is dropped into a plugins directory, and the unchanged CLI lists it
/// and moves a tree over it.
/// </summary>
[NonParallelizable]
public sealed class PluginDropInTests : FileSystemTest
{
    protected override string Prefix => "peerflow-dropin";

    /// <summary>A plugins directory with the CLI's own plugins and the sample built into it, as a user would make it.</summary>
    private async Task<string> PluginsWithTheSampleAsync()
    {
        var cliDirectory = Path.GetDirectoryName(Path.GetFullPath(PeerFlowProcess.CliPath))!;
        var plugins = Dir.Combine("plugins");
        foreach (var plugin in Directory.GetDirectories(Path.Combine(cliDirectory, "plugins")))
        {
            var target = Path.Combine(plugins, Path.GetFileName(plugin));
            Directory.CreateDirectory(target);
            foreach (var file in Directory.GetFiles(plugin))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }

        await SamplePlugins.BuildUnixSocketAsync(plugins, cliDirectory);
        return plugins;
    }

    [Test]
    public async Task SamplePlugin_BuiltSeparately_IsListed_AndCarriesAnEncryptedTransfer()
    {
        var plugins = await PluginsWithTheSampleAsync();
        var (listed, stdout, stderr) = await PeerFlowProcess.RunAsync("plugins", "--plugins-dir", plugins);
        Assert.That(listed, Is.Zero, stderr);
        Assert.That(stdout, Does.Match(@"(?m)^unix\s+\S+\s+.*PeerFlow\.Transport\.UnixSocket\.dll$").And.Contain("tcp").And.Contain("loopback"));

        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        var socket = Dir.Combine("peerflow.sock");
        await using var receiver = PeerFlowProcess.Start(["receive", "--transport", "unix", "--plugins-dir", plugins, "--listen", "unix:" + socket, "--dest", Dest, "--once"]);
        await Eventually.WaitUntilAsync(() => receiver.Stdout.Contains("listening on unix:" + socket, StringComparison.Ordinal));
        var sent = await PeerFlowProcess.RunAsync("send", source, "--transport", "unix", "--plugins-dir", plugins, "--to", "unix:" + socket);
        Assert.That(sent.ExitCode, Is.Zero, sent.Stderr);
        Assert.That(sent.Stderr, Does.Contain("encrypted; the receiver's peer ID is"), "a stream transport gets TLS without doing anything");
        Assert.That(await receiver.WaitForExitAsync(), Is.Zero, receiver.Stderr);
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
        Assert.That(File.Exists(socket), Is.False, "the listener removes its socket file");
    }
}
