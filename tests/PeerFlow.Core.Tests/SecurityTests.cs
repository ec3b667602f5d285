using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

using PeerFlow.Files;
using PeerFlow.Security;
using PeerFlow.Testing;
using PeerFlow.Transfers;
using PeerFlow.Transports;

namespace PeerFlow.Core.Tests;

/// <summary>Persistent identities, peer IDs, and TLS 1.3 with pinned IDs over the real TCP plugin.</summary>
public sealed class SecurityTests : FileSystemTest
{
    private static ITransportFactory Tcp => TestPlugins.Get("tcp");

    [Test]
    public void Identity_IsCreatedOnFirstUse_PrivateToItsOwner_AndTheSameAfterwards()
    {
        var home = Dir.Combine("home");
        using var first = PeerIdentity.LoadOrCreate(home);
        Assert.That(first.Created, Is.True);
        using var again = PeerIdentity.LoadOrCreate(home);
        Assert.That(again.Created, Is.False);
        Assert.That(again.Id, Is.EqualTo(first.Id));
        if (!OperatingSystem.IsWindows())
        {
            Assert.That(File.GetUnixFileMode(Path.Combine(home, "identity.key")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            Assert.That(File.GetUnixFileMode(home) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead), Is.EqualTo(UnixFileMode.None));
        }
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void KeyReadableByOthers_IsRefused()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("Unix permission bits");
        }

        var home = Dir.Combine("home");
        PeerIdentity.LoadOrCreate(home).Dispose();
        File.SetUnixFileMode(Path.Combine(home, "identity.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var error = Assert.Throws<IOException>(() => PeerIdentity.LoadOrCreate(home));
        Assert.That(error!.Message, Does.Contain("chmod 600"));
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void AHeadStart_GivesTheSameIdentity_ForItsHomeOnly_AndNeverSkipsTheKeyCheck()
    {
        var home = Dir.Combine("home");
        var other = Dir.Combine("other");
        PeerId id;
        using (var created = PeerIdentity.LoadOrCreate(home))
        {
            id = created.Id;
        }

        PeerIdentity.StartLoading(home);
        using (var early = PeerIdentity.LoadOrCreate(home))
        {
            Assert.That(early.Id, Is.EqualTo(id));
            Assert.That(early.Created, Is.False);
            Assert.That(early.CertificateContext.TargetCertificate.HasPrivateKey, Is.True);
        }

        // Started for one home, asked for another: the other's, created as usual.
        PeerIdentity.StartLoading(home);
        using (var elsewhere = PeerIdentity.LoadOrCreate(other))
        {
            Assert.That(elsewhere.Created, Is.True);
            Assert.That(elsewhere.Id, Is.Not.EqualTo(id));
        }

        // No identity there yet: a head start creates nothing.
        var empty = Dir.Combine("empty");
        PeerIdentity.StartLoading(empty);
        Assert.That(Directory.Exists(empty), Is.False);

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(home, "identity.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
            PeerIdentity.StartLoading(home);
            var error = Assert.Throws<IOException>(() => PeerIdentity.LoadOrCreate(home));
            Assert.That(error!.Message, Does.Contain("chmod 600"));
        }
    }

    [Test]
    public void PeerId_IsEightGroupsOfFour_AndParsesAsPeopleTypeIt()
    {
        using var identity = PeerIdentity.LoadOrCreate(Dir.Combine("home"));
        var text = identity.Id.Text;
        Assert.That(text, Does.Match("^([A-Z2-7]{4}-){7}[A-Z2-7]{4}$"));
        Assert.That(PeerId.Parse(text.ToLowerInvariant().Replace("-", "", StringComparison.Ordinal)), Is.EqualTo(identity.Id));
        Assert.That(PeerId.TryParse(text[..^1], out _), Is.False);
        Assert.That(PeerId.TryParse(text.Replace(text[0], '1'), out _), Is.False);
        using var other = PeerIdentity.LoadOrCreate(Dir.Combine("other"));
        Assert.That(other.Id, Is.Not.EqualTo(identity.Id));
    }

    [Test]
    public async Task TransferOverTls_WithPinnedIds_ArrivesAndEachSideKnowsTheOther()
    {
        using var sender = PeerIdentity.LoadOrCreate(Dir.Combine("sender"));
        using var receiver = PeerIdentity.LoadOrCreate(Dir.Combine("receiver"));
        var source = TestTrees.CreateMixedTree(Dir.Combine("src"));
        await using var listener = await Tcp.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        PeerId? seenBySender = null, seenByReceiver = null;
        var receiving = Task.Run(async () =>
        {
            await using var raw = (await listener.AcceptAsync())!;
            await using var secure = await TlsLayer.AcceptAsync(raw, receiver, CancellationToken.None);
            seenByReceiver = TlsLayer.RemoteId(secure);
            return await TransferReceiver.ReceiveAsync(secure, new ReceiveOptions { Destination = Dest });
        });
        await using (var raw = await Tcp.ConnectAsync(listener.LocalEndPoint))
        await using (var secure = await TlsLayer.ConnectAsync(raw, sender, receiver.Id, CancellationToken.None))
        {
            seenBySender = TlsLayer.RemoteId(secure);
            var sent = await TransferSender.SendAsync(secure, new SourceSet([source])).WaitAsync(InProcess.Timeout);
            Assert.That(sent.Success, Is.True);
        }

        Assert.That((await receiving.WaitAsync(InProcess.Timeout)).Success, Is.True);
        TestTrees.AssertSameTree(source, Path.Combine(Dest, "tree"));
        Assert.That(seenBySender, Is.EqualTo(receiver.Id));
        Assert.That(seenByReceiver, Is.EqualTo(sender.Id));
    }

    [Test]
    public async Task ReceiverWithAnotherIdentity_ManInTheMiddle_IsRefusedBySender_NamingBothIds()
    {
        using var sender = PeerIdentity.LoadOrCreate(Dir.Combine("sender"));
        using var expected = PeerIdentity.LoadOrCreate(Dir.Combine("receiver"));
        using var impostor = PeerIdentity.LoadOrCreate(Dir.Combine("impostor"));
        await using var listener = await Tcp.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = Task.Run(async () =>
        {
            await using var raw = (await listener.AcceptAsync())!;
            try
            {
                await using var secure = await TlsLayer.AcceptAsync(raw, impostor, CancellationToken.None);
            }
            catch (TransportException)
            {
                // The sender hung up on it: expected.
            }
        });
        await using var connection = await Tcp.ConnectAsync(listener.LocalEndPoint);
        var error = Assert.ThrowsAsync<PeerIdentityException>(() => TlsLayer.ConnectAsync(connection, sender, expected.Id, CancellationToken.None));
        Assert.That(error!.Message, Does.Contain(impostor.Id.Text).And.Contain(expected.Id.Text));
        Assert.That(error.Presented, Is.EqualTo(impostor.Id));
        await accepting.WaitAsync(InProcess.Timeout);
    }

    private async Task<(Task<TransferResult> Receiving, EndPoint EndPoint, ITransportListener Listener)> ReceiverAsync(ReceiveOptions options)
    {
        var listener = await Tcp.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var receiving = Task.Run(async () =>
        {
            await using var raw = (await listener.AcceptAsync())!;
            return await TransferReceiver.ReceiveAsync(raw, options);
        });
        return (receiving, listener.LocalEndPoint, listener);
    }

    private static async Task<TransferResult> SendAsync(EndPoint endPoint, string source, PeerIdentity? identity)
    {
        await using var raw = await Tcp.ConnectAsync(endPoint);
        if (identity is null)
        {
            return await TransferSender.SendAsync(raw, new SourceSet([source])).WaitAsync(InProcess.Timeout);
        }

        await using var secure = await TlsLayer.ConnectAsync(raw, identity, null, CancellationToken.None);
        return await TransferSender.SendAsync(secure, new SourceSet([source])).WaitAsync(InProcess.Timeout);
    }

    [Test]
    public async Task ReceiverWithAnIdentity_ServesTrustedPeers_AndRefusesUntrustedOnesNamingTheirId()
    {
        using var receiver = PeerIdentity.LoadOrCreate(Dir.Combine("receiver"));
        using var trusted = PeerIdentity.LoadOrCreate(Dir.Combine("trusted"));
        using var stranger = PeerIdentity.LoadOrCreate(Dir.Combine("stranger"));
        var source = TestTrees.CreateSmallFiles(Dir.Combine("src"), 5);
        var options = new ReceiveOptions { Destination = Dest, Identity = receiver, TrustedPeers = new HashSet<PeerId> { trusted.Id } };

        var (receiving, endPoint, listener) = await ReceiverAsync(options);
        await using (listener)
        {
            Assert.That((await SendAsync(endPoint, source, trusted)).Success, Is.True);
            Assert.That((await receiving.WaitAsync(InProcess.Timeout)).Success, Is.True);
        }

        (receiving, endPoint, listener) = await ReceiverAsync(options);
        await using (listener)
        {
            var error = Assert.ThrowsAsync<TransferRefusedException>(() => SendAsync(endPoint, source, stranger));
            Assert.That(error!.Message, Does.Contain($"does not trust peer ID {stranger.Id}").And.Contain($"--trust {stranger.Id}"));
            Assert.ThrowsAsync<TransferRefusedException>(() => receiving.WaitAsync(InProcess.Timeout));
        }
    }

    [Test]
    public async Task PlaintextSender_IsRefusedByAReceiverWithAnIdentity_UnlessPlaintextIsAllowed()
    {
        using var receiver = PeerIdentity.LoadOrCreate(Dir.Combine("receiver"));
        var source = TestTrees.CreateSmallFiles(Dir.Combine("src"), 5);
        var (receiving, endPoint, listener) = await ReceiverAsync(new ReceiveOptions { Destination = Dest, Identity = receiver });
        await using (listener)
        {
            var error = Assert.ThrowsAsync<TransferRefusedException>(() => SendAsync(endPoint, source, null));
            Assert.That(error!.Message, Does.Contain("accepts only encrypted, authenticated connections"));
            Assert.ThrowsAsync<TransferRefusedException>(() => receiving.WaitAsync(InProcess.Timeout));
        }

        (receiving, endPoint, listener) = await ReceiverAsync(new ReceiveOptions { Destination = Dest, Identity = receiver, AllowPlaintext = true });
        await using (listener)
        {
            Assert.That((await SendAsync(endPoint, source, null)).Success, Is.True);
            Assert.That((await receiving.WaitAsync(InProcess.Timeout)).Success, Is.True);
        }
    }

    [Test]
    public async Task ThisInstallationsOwnId_IsAlwaysTrusted()
    {
        using var identity = PeerIdentity.LoadOrCreate(Dir.Combine("home"));
        var source = TestTrees.CreateSmallFiles(Dir.Combine("src"), 3);
        var (receiving, endPoint, listener) = await ReceiverAsync(new ReceiveOptions { Destination = Dest, Identity = identity });
        await using (listener)
        {
            Assert.That((await SendAsync(endPoint, source, identity)).Success, Is.True);
            Assert.That((await receiving.WaitAsync(InProcess.Timeout)).Success, Is.True);
        }

        TestTrees.AssertSameTree(source, Path.Combine(Dest, "small"));
    }

    [Test]
    public async Task PeerThatStartsTlsAndFallsSilent_IsDroppedAfterTheHandshakeTimeout()
    {
        using var identity = PeerIdentity.LoadOrCreate(Dir.Combine("home"));
        var options = new ReceiveOptions { Destination = Dest, Identity = identity, HandshakeTimeout = TimeSpan.FromMilliseconds(300) };
        var (receiving, endPoint, listener) = await ReceiverAsync(options);
        await using (listener)
        {
            await using var raw = await Tcp.ConnectAsync(endPoint);

            // The first bytes of a TLS record header, then nothing.
            await raw.Transport.Output.WriteAsync(new byte[] { TlsLayer.HandshakeRecordType, 3, 1 });
            await raw.Transport.Output.FlushAsync();
            var error = Assert.ThrowsAsync<TimeoutException>(() => receiving.WaitAsync(InProcess.Timeout));
            Assert.That(error!.Message, Does.Contain("did not complete the handshake"));
        }
    }

    [Test]
    public async Task ProcessesStartingAtOnceOnAFreshHome_AllGetTheSameIdentity_AndOneCreatesIt()
    {
        var home = Dir.Combine("fresh-home");
        using var start = new ManualResetEventSlim();
        var loads = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            start.Wait();
            return PeerIdentity.LoadOrCreate(home);
        })).ToList();
        start.Set();
        var identities = await Task.WhenAll(loads);
        try
        {
            Assert.That(identities.Select(i => i.Id).Distinct().Count(), Is.EqualTo(1));
            Assert.That(identities.Count(i => i.Created), Is.EqualTo(1));
            Assert.That(Directory.GetFiles(home).Select(Path.GetFileName), Is.EquivalentTo(new[] { "identity.key", "identity.crt" }), "no temporary files left");
        }
        finally
        {
            foreach (var identity in identities)
            {
                identity.Dispose();
            }
        }
    }

    [Test]
    public void ALoadedIdentity_SignsWithTheKeyOfItsCertificate_AsThePemReaderReadsIt()
    {
        var home = Dir.Combine("home");
        PeerIdentity.LoadOrCreate(home).Dispose();
        using var loaded = PeerIdentity.LoadOrCreate(home);
        using var pem = X509Certificate2.CreateFromPemFile(Path.Combine(home, "identity.crt"), Path.Combine(home, "identity.key"));

        var data = "PeerFlow"u8.ToArray();
        using var key = loaded.Certificate.GetECDsaPrivateKey()!;
        var signature = key.SignData(data, HashAlgorithmName.SHA256);
        using var publicKey = pem.GetECDsaPublicKey()!;
        Assert.That(publicKey.VerifyData(data, signature, HashAlgorithmName.SHA256), Is.True);
        Assert.That(loaded.Id, Is.EqualTo(PeerId.Of(pem)));
    }

    [Test]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void OnLinuxWithOpenSsl3_TheKeyIsReadByOpenSsl_NotByTheManagedPemReader()
    {
        if (!OperatingSystem.IsLinux() || SafeEvpPKeyHandle.OpenSslVersion < 0x3000_0000)
        {
            Assert.Ignore("OpenSSL 3 on Linux only; elsewhere the PEM reader is the way");
        }

        var home = Dir.Combine("home");
        PeerIdentity.LoadOrCreate(home).Dispose();
        using var loaded = PeerIdentity.LoadThroughOpenSsl(Path.Combine(home, "identity.crt"), Path.Combine(home, "identity.key"));
        Assert.That(loaded, Is.Not.Null, "the fast path fell back to the PEM reader");
        Assert.That(loaded!.HasPrivateKey, Is.True);
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void AKeyThatIsNotTheCertificates_OrNoKeyAtAll_IsRefused()
    {
        var home = Dir.Combine("home");
        var other = Dir.Combine("other");
        PeerIdentity.LoadOrCreate(home).Dispose();
        PeerIdentity.LoadOrCreate(other).Dispose();
        var keyPath = Path.Combine(home, "identity.key");

        File.Copy(Path.Combine(other, "identity.key"), keyPath, overwrite: true);
        var mismatch = Assert.Catch(() => PeerIdentity.LoadOrCreate(home).Dispose());
        Assert.That(mismatch, Is.InstanceOf<CryptographicException>().Or.InstanceOf<ArgumentException>());
        Assert.That(mismatch!.Message, Does.Contain("does not match"));

        File.WriteAllText(keyPath, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var garbage = Assert.Catch(() => PeerIdentity.LoadOrCreate(home).Dispose());
        Assert.That(garbage, Is.InstanceOf<CryptographicException>().Or.InstanceOf<ArgumentException>());
    }

    [Test]
    public void MissingCertificate_IsMadeAgainFromTheKey_KeepingThePeerId()
    {
        var home = Dir.Combine("home");
        PeerId id;
        using (var first = PeerIdentity.LoadOrCreate(home))
        {
            id = first.Id;
        }

        File.Delete(Path.Combine(home, "identity.crt"));
        using var again = PeerIdentity.LoadOrCreate(home);
        Assert.That(again.Id, Is.EqualTo(id));
        Assert.That(again.Created, Is.False);
    }
}
