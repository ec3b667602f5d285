using System.Net;
using System.Text;

using PeerFlow.Testing;

namespace PeerFlow.Cli.Tests;

/// <summary>Encryption, pinned IDs and trust through the real CLI: two installations (two homes) on 127.0.0.1.</summary>
public sealed class SecurityEndToEndTests : FileSystemTest
{
    private const string Marker = "PEERFLOW-CLEARTEXT-MARKER-";

    protected override string Prefix => "peerflow-sec";

    private string ReceiverHome => Dir.Combine("receiver-home");

    private string SenderHome => Dir.Combine("sender-home");

    private static async Task<string> IdOfAsync(string home)
    {
        var (code, stdout, stderr) = await PeerFlowProcess.RunAsync("id", "--home", home);
        Assert.That(code, Is.Zero, stderr);
        return stdout.Trim();
    }

    private string Source()
    {
        var file = Dir.Combine("src", "notes.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, string.Concat(Enumerable.Repeat(Marker, 2000)));
        return file;
    }

    [Test]
    public async Task UntrustedSender_IsRefused_NamingItsId_AndTrustingItWhileTheReceiverRuns_LetsItIn()
    {
        var source = Source();
        var senderId = await IdOfAsync(SenderHome);
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest, "--home", ReceiverHome);
        await using (receiver)
        {
            var refused = await PeerFlowProcess.RunAsync("send", source, "--to", address, "--home", SenderHome);
            Assert.That(refused.ExitCode, Is.EqualTo(1), refused.Stderr);
            Assert.That(refused.Stderr, Does.Contain($"does not trust peer ID {senderId}").And.Contain($"--trust {senderId}"));
            Assert.That(File.Exists(Path.Combine(Dest, "notes.txt")), Is.False);

            var (added, _, addError) = await PeerFlowProcess.RunAsync("trust", "add", senderId, "laptop", "--home", ReceiverHome);
            Assert.That(added, Is.Zero, addError);
            var accepted = await PeerFlowProcess.RunAsync("send", source, "--to", address, "--home", SenderHome);
            Assert.That(accepted.ExitCode, Is.Zero, accepted.Stderr);
            Assert.That(File.ReadAllText(Path.Combine(Dest, "notes.txt")), Is.EqualTo(File.ReadAllText(source)));
            await Eventually.WaitUntilAsync(() => receiver.Stdout.Contains($"(peer ID {senderId})", StringComparison.Ordinal));
        }

        var (_, list, _) = await PeerFlowProcess.RunAsync("trust", "list", "--home", ReceiverHome);
        Assert.That(list.Trim(), Is.EqualTo($"{senderId} laptop"));
    }

    [Test]
    public async Task TrustOption_AcceptsThatPeer_AndPrintsTheReceiversIdForTheSender()
    {
        var source = Source();
        var senderId = await IdOfAsync(SenderHome);
        var receiverId = await IdOfAsync(ReceiverHome);
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest, "--once", "--home", ReceiverHome, "--trust", senderId);
        await using (receiver)
        {
            var sent = await PeerFlowProcess.RunAsync("send", source, "--to", address, "--home", SenderHome);
            Assert.That(sent.ExitCode, Is.Zero, sent.Stderr);
            Assert.That(sent.Stderr, Does.Contain($"the receiver's peer ID is {receiverId}").And.Contain($"--peer {receiverId}"));
            Assert.That(await receiver.WaitForExitAsync(), Is.Zero);
            Assert.That(receiver.Stdout, Does.Contain($"this receiver's peer ID: {receiverId}"));
        }
    }

    [Test]
    public async Task PeerOption_RefusesAReceiverWithAnotherId_AndAcceptsTheRightOne()
    {
        var source = Source();
        var receiverId = await IdOfAsync(ReceiverHome);
        var impostorId = await IdOfAsync(Dir.Combine("impostor-home"));
        var senderId = await IdOfAsync(SenderHome);
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest, "--home", ReceiverHome, "--trust", senderId);
        await using (receiver)
        {
            var wrong = await PeerFlowProcess.RunAsync("send", source, "--to", address, "--home", SenderHome, "--peer", impostorId);
            Assert.That(wrong.ExitCode, Is.EqualTo(1));
            Assert.That(wrong.Stderr, Does.Contain($"presented peer ID {receiverId}, but {impostorId} was expected"));
            Assert.That(File.Exists(Path.Combine(Dest, "notes.txt")), Is.False, "nothing reached the receiver");

            // Typed the way people copy IDs: lower case, no dashes.
            var right = await PeerFlowProcess.RunAsync("send", source, "--to", address, "--home", SenderHome, "--peer", receiverId.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant());
            Assert.That(right.ExitCode, Is.Zero, right.Stderr);
            Assert.That(right.Stderr, Does.Contain($"peer ID {receiverId} is the one expected"));
        }
    }

    [Test]
    public async Task InsecureSender_IsRefusedByADefaultReceiver_AndWorksWithAnInsecureOne_WarningLoudlyOnBothSides()
    {
        var source = Source();
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest, "--home", ReceiverHome);
        await using (receiver)
        {
            var refused = await PeerFlowProcess.RunAsync("send", source, "--to", address, "--insecure");
            Assert.That(refused.ExitCode, Is.EqualTo(1));
            Assert.That(refused.Stderr, Does.Contain("WARNING: --insecure").And.Contain("accepts only encrypted, authenticated connections"));
        }

        Assert.That(File.Exists(Path.Combine(Dest, "notes.txt")), Is.False);
        var (open, openAddress) = await PeerFlowProcess.StartReceiverAsync(Dest, "--once", "--insecure", "--home", ReceiverHome);
        await using (open)
        {
            var sent = await PeerFlowProcess.RunAsync("send", source, "--to", openAddress, "--insecure", "--home", SenderHome);
            Assert.That(sent.ExitCode, Is.Zero, sent.Stderr);
            Assert.That(sent.Stderr, Does.Contain("WARNING: --insecure: this transfer is NOT encrypted"));
            Assert.That(await open.WaitForExitAsync(), Is.Zero);
            Assert.That(open.Stderr, Does.Contain("WARNING: --insecure: accepting UNENCRYPTED"));
        }

        Assert.That(File.ReadAllText(Path.Combine(Dest, "notes.txt")), Is.EqualTo(File.ReadAllText(source)));
    }

    [Test]
    public async Task OnTheWire_TheDefaultIsCiphertext_WhileInsecureIsReadable()
    {
        var source = Source();
        foreach (var insecure in new[] { false, true })
        {
            var target = Dir.Combine(insecure ? "dest-insecure" : "dest-tls");
            string[] mode = insecure ? ["--insecure"] : [];
            var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(target, ["--once", .. mode]);
            await using (receiver)
            await using (var proxy = new RecordingProxy(IPEndPoint.Parse(address)))
            {
                var sent = await PeerFlowProcess.RunAsync(["send", source, "--to", proxy.EndPoint.ToString(), "--compression", "none", .. mode]);
                Assert.That(sent.ExitCode, Is.Zero, sent.Stderr);
                Assert.That(await receiver.WaitForExitAsync(), Is.Zero);
                var seen = Encoding.ASCII.GetString(proxy.Upstream);
                Assert.That(seen, insecure ? Does.Contain(Marker) : Does.Not.Contain(Marker), insecure ? "the check can see plaintext" : "file content visible on the wire");
                Assert.That(seen, insecure ? Does.Contain("notes.txt") : Does.Not.Contain("notes.txt"), "file names are content too");
            }
        }
    }

    [Test]
    public async Task TheIdentitysPrivateKey_NeverAppearsInOutput_EvenVerboseOrJson()
    {
        var source = Source();
        var (receiver, address) = await PeerFlowProcess.StartReceiverAsync(Dest, "--once", "--home", ReceiverHome, "--verbose", "--output", "json", "--trust", await IdOfAsync(SenderHome));
        await using (receiver)
        {
            var sent = await PeerFlowProcess.RunAsync("send", source, "--to", address, "--home", SenderHome, "--verbose", "--output", "json");
            Assert.That(sent.ExitCode, Is.Zero, sent.Stderr);
            Assert.That(await receiver.WaitForExitAsync(), Is.Zero);
            var everything = sent.Stdout + sent.Stderr + receiver.Stdout + receiver.Stderr;
            foreach (var home in new[] { SenderHome, ReceiverHome })
            {
                var keyPath = Path.Combine(home, "identity.key");
                if (!OperatingSystem.IsWindows())
                {
                    Assert.That(File.GetUnixFileMode(keyPath), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
                }

                var keyLines = File.ReadAllLines(keyPath).Where(l => !l.StartsWith("-----", StringComparison.Ordinal) && l.Length >= 16).ToList();
                Assert.That(keyLines, Is.Not.Empty);
                foreach (var line in keyLines)
                {
                    Assert.That(everything, Does.Not.Contain(line));
                }
            }

            Assert.That(receiver.Stdout, Does.Contain("\"peerId\""));
        }
    }

    [Test]
    public async Task MalformedIds_AreUsageErrors()
    {
        var bad = await PeerFlowProcess.RunAsync("send", Source(), "--to", "127.0.0.1:9", "--peer", "not-an-id");
        Assert.That(bad.ExitCode, Is.EqualTo(2));
        Assert.That(bad.Stderr, Does.Contain("--peer: 'not-an-id' is not a peer ID"));
        var trust = await PeerFlowProcess.RunAsync("trust", "add", "XYZ", "--home", ReceiverHome);
        Assert.That(trust.ExitCode, Is.EqualTo(2));
        Assert.That(trust.Stderr, Does.Contain("'XYZ' is not a peer ID"));
        Directory.CreateDirectory(ReceiverHome);
        File.WriteAllText(Path.Combine(ReceiverHome, "trusted-peers"), "AAAA-BBBB not-an-id\n");
        var listening = await PeerFlowProcess.RunAsync("receive", "--listen", "127.0.0.1:0", "--dest", Dest, "--home", ReceiverHome);
        Assert.That(listening.ExitCode, Is.EqualTo(2));
        Assert.That(listening.Stderr, Does.Contain("trusted-peers, line 1"));
    }
}
