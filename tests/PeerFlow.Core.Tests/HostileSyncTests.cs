using PeerFlow.Protocol;
using PeerFlow.Protocol.Messages;
using PeerFlow.Session;
using PeerFlow.Testing;
using PeerFlow.Transfers;

namespace PeerFlow.Core.Tests;

/// <summary>
/// A raw peer abuses a sync: targets that leave the destination or pass through links, entries in PeerFlow's state,
/// links out of the synced root, and deletions the receiver's own guards must stop whatever the sender says.
/// </summary>
public sealed class HostileSyncTests : FileSystemTest
{
    private static TransferOffer SyncOffer(string? target, SyncRequest? request = null) => new()
    {
        Roots = ["r"],
        ChunkSize = 1 << 20,
        ResumeKey = Guid.NewGuid().ToByteArray(),
        Target = target,
        Sync = request ?? new SyncRequest(),
    };

    private static async Task<(RawPeer Peer, TransferReply Reply)> OfferAsync(System.Net.EndPoint endPoint, TransferOffer offer)
    {
        var peer = await RawPeer.ConnectAsync(InProcess.Loopback, endPoint);
        await peer.HandshakeAsync(ProtocolConstants.Version, ProtocolConstants.CapabilityResume, ProtocolConstants.CapabilitySync, ProtocolConstants.CapabilitySymlinks);
        return (peer, await peer.OfferAsync(offer));
    }

    private static EntryInfo Directory(uint id, string path) => new() { Id = id, Path = path, Kind = EntryKind.Directory };

    /// <summary>Reads until the summary (skipping verdicts and deletion reports).</summary>
    private static async Task<TransferSummary> SummaryAsync(RawPeer peer)
    {
        while (true)
        {
            if (await peer.ReadAsync() is TransferSummary summary)
            {
                return summary;
            }
        }
    }

    [TestCase("../outside", "refused path")]
    [TestCase("link/inside", "symbolic link")]
    [TestCase("file/inside", "not a directory")]
    [TestCase(".peerflow/x", "reserved")]
    public async Task ABadTarget_IsRefused_AndNothingIsCreated(string target, string reason)
    {
        System.IO.Directory.CreateDirectory(Dest);
        var outside = Dir.Combine("outside");
        System.IO.Directory.CreateDirectory(outside);
        System.IO.Directory.CreateSymbolicLink(Path.Combine(Dest, "link"), outside);
        File.WriteAllText(Path.Combine(Dest, "file"), "x");
        var (endPoint, _, listener) = await InProcess.StartReceiverAsync(new ReceiveOptions { Destination = Dest });
        await using (listener)
        {
            var (peer, reply) = await OfferAsync(endPoint, SyncOffer(target));
            await using (peer)
            {
                Assert.That(reply.Accepted, Is.False);
                Assert.That(reply.Reason, Does.Contain(reason));
            }
        }

        Assert.That(System.IO.Directory.GetFileSystemEntries(outside), Is.Empty);
        Assert.That(System.IO.Directory.Exists(Dir.Combine("outside", "inside")), Is.False);
    }

    [Test]
    public async Task AnEntryInsideTheStateDirectory_IsRefused()
    {
        var (endPoint, result, listener) = await InProcess.StartReceiverAsync(new ReceiveOptions { Destination = Dest });
        await using (listener)
        {
            var (peer, reply) = await OfferAsync(endPoint, SyncOffer("t"));
            await using (peer)
            {
                Assert.That(reply.Accepted, Is.True, reply.Reason);
                peer.Send(new EntryBatch { Entries = [Directory(0, "r")] });
                peer.SendFile(1, "r/.peerflow/journal", "planted"u8.ToArray());
                peer.Send(new TransferEnd { Files = 1 });
                await peer.FlushAsync();
                var error = Assert.ThrowsAsync<PeerErrorException>(async () => await SummaryAsync(peer));
                Assert.That(error!.Code, Is.EqualTo(ErrorCode.InvalidPath));
                Assert.That(error.Message, Does.Contain("reserved"));
            }

            Assert.That(async () => await result.WaitAsync(InProcess.Timeout), Throws.Exception);
        }

        Assert.That(InProcess.FilesUnder(Dest).Where(f => f.EndsWith("journal", StringComparison.Ordinal) && File.ReadAllText(f) == "planted"), Is.Empty);
    }

    [Test]
    public async Task ALinkOutOfTheSyncedRoot_IsNotCreated_EvenWhereItWouldStayInsideTheDestination()
    {
        var (endPoint, result, listener) = await InProcess.StartReceiverAsync(new ReceiveOptions { Destination = Dest, AllowSymlinks = true });
        await using (listener)
        {
            var (peer, reply) = await OfferAsync(endPoint, SyncOffer("t"));
            await using (peer)
            {
                Assert.That(reply.Accepted, Is.True, reply.Reason);
                peer.Send(new EntryBatch { Entries = [Directory(0, "r"), new EntryInfo { Id = 1, Path = "r/up", Kind = EntryKind.Symlink, LinkTarget = "../sibling" }, new EntryInfo { Id = 2, Path = "r/ok", Kind = EntryKind.Symlink, LinkTarget = "x/../y" }] });
                peer.Send(new TransferEnd());
                await peer.FlushAsync();
                var summary = await SummaryAsync(peer);
                Assert.That(summary.Failures.Select(f => f.Path), Is.EqualTo(new[] { "up" }));
                Assert.That(summary.Failures[0].Reason, Does.Contain("symbolic link not created"));
            }

            await result.WaitAsync(InProcess.Timeout);
        }

        Assert.That(new FileInfo(Path.Combine(Dest, "t", "up")).Exists || System.IO.Directory.Exists(Path.Combine(Dest, "t", "up")), Is.False);
        Assert.That(new FileInfo(Path.Combine(Dest, "t", "ok")).LinkTarget, Is.EqualTo("x/../y"));
    }

    [TestCase(false, "the source is empty")]
    [TestCase(true, "could not read its whole tree")]
    public async Task TheReceiversOwnGuards_DeleteNothing_WhateverTheSenderAsks(bool incomplete, string reason)
    {
        var replica = Path.Combine(Dest, "t");
        TestTrees.WriteFile(Path.Combine(replica, "precious.txt"), 100);
        TestTrees.WriteFile(Path.Combine(replica, "deep", "more.txt"), 100);
        var (endPoint, result, listener) = await InProcess.StartReceiverAsync(new ReceiveOptions { Destination = Dest });
        await using (listener)
        {
            var (peer, reply) = await OfferAsync(endPoint, SyncOffer("t", new SyncRequest { Delete = true, MaxDelete = long.MaxValue }));
            await using (peer)
            {
                Assert.That(reply.Accepted, Is.True, reply.Reason);
                peer.Send(new EntryBatch { Entries = incomplete ? [Directory(0, "r"), Directory(1, "r/other")] : [Directory(0, "r")] });
                peer.Send(new TransferEnd { Directories = incomplete ? 2 : 1, Incomplete = incomplete });
                await peer.FlushAsync();
                var summary = await SummaryAsync(peer);
                Assert.That(summary.DeletionRefused, Does.Contain(reason));
                Assert.That(summary.EntriesDeleted, Is.Zero);
            }

            await result.WaitAsync(InProcess.Timeout);
        }

        Assert.That(File.Exists(Path.Combine(replica, "precious.txt")), Is.True);
        Assert.That(File.Exists(Path.Combine(replica, "deep", "more.txt")), Is.True);
    }

    [Test]
    public async Task TooManyProtectRules_AreRefused()
    {
        var (endPoint, _, listener) = await InProcess.StartReceiverAsync(new ReceiveOptions { Destination = Dest });
        await using (listener)
        {
            var (peer, reply) = await OfferAsync(endPoint, SyncOffer("t", new SyncRequest { Protect = [.. Enumerable.Repeat("*.tmp", ProtocolConstants.MaxProtectRules + 1)] }));
            await using (peer)
            {
                Assert.That(reply.Accepted, Is.False);
                Assert.That(reply.Reason, Does.Contain("protects more than"));
            }
        }
    }

    [TestCase(-1L, 1000L, "does not fit")]
    [TestCase(0L, 200_000L, "does not fit")]
    [TestCase(150_000L, 100_000L, "does not fit")]
    [TestCase(0L, 0L, "does not fit")]
    public async Task ABlockCopyOutsideTheOldVersion_IsAProtocolError_AndTheOldVersionStays(long basisOffset, long length, string reason)
    {
        var replica = Path.Combine(Dest, "t");
        TestTrees.WriteFile(Path.Combine(replica, "f.bin"), 200_000, seed: 1);
        var before = File.ReadAllBytes(Path.Combine(replica, "f.bin"));
        var (endPoint, result, listener) = await InProcess.StartReceiverAsync(new ReceiveOptions { Destination = Dest });
        await using (listener)
        {
            var (peer, reply) = await OfferAsync(endPoint, SyncOffer("t", new SyncRequest { Delta = true }));
            await using (peer)
            {
                Assert.That(reply.Accepted, Is.True, reply.Reason);
                peer.Send(new EntryBatch { Entries = [Directory(0, "r"), new EntryInfo { Id = 1, Path = "r/f.bin", Kind = EntryKind.File, Size = 150_000, Mode = 420 }] });
                await peer.FlushAsync();
                var verdicts = (EntryVerdicts)await peer.ReadAsync();
                Assert.That(verdicts.Verdicts.Single().Kind, Is.EqualTo(VerdictKind.Delta));
                var signatures = (BlockSignatures)await peer.ReadAsync();
                Assert.That(signatures.Final, Is.True);
                peer.Send(new BlockCopy { Id = 1, Offset = 0, BasisOffset = basisOffset, Length = length });
                await peer.FlushAsync();
                var error = Assert.ThrowsAsync<PeerErrorException>(async () => await SummaryAsync(peer));
                Assert.That(error!.Code, Is.EqualTo(ErrorCode.ProtocolViolation));
                Assert.That(error.Message, Does.Contain(reason));
            }

            Assert.That(async () => await result.WaitAsync(InProcess.Timeout), Throws.Exception);
        }

        Assert.That(File.ReadAllBytes(Path.Combine(replica, "f.bin")), Is.EqualTo(before));
    }

    [Test]
    public async Task ABlockCopyForAFileThatIsNotADelta_IsAProtocolError()
    {
        var (endPoint, result, listener) = await InProcess.StartReceiverAsync(new ReceiveOptions { Destination = Dest });
        await using (listener)
        {
            var (peer, reply) = await OfferAsync(endPoint, SyncOffer("t", new SyncRequest { Delta = true }));
            await using (peer)
            {
                Assert.That(reply.Accepted, Is.True, reply.Reason);
                peer.Send(new EntryBatch { Entries = [Directory(0, "r"), new EntryInfo { Id = 1, Path = "r/new.bin", Kind = EntryKind.File, Size = 100_000 }] });
                peer.Send(new BlockCopy { Id = 1, Offset = 0, BasisOffset = 0, Length = 100_000 });
                await peer.FlushAsync();
                var error = Assert.ThrowsAsync<PeerErrorException>(async () => await SummaryAsync(peer));
                Assert.That(error!.Message, Does.Contain("not a delta"));
            }

            Assert.That(async () => await result.WaitAsync(InProcess.Timeout), Throws.Exception);
        }
    }
}
