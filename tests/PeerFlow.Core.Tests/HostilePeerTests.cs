using PeerFlow.Buffers;
using PeerFlow.Protocol;
using PeerFlow.Protocol.Messages;
using PeerFlow.Session;
using PeerFlow.Testing;
using PeerFlow.Transfers;

namespace PeerFlow.Core.Tests;

/// <summary>A raw peer sends what a real sender never would; the receiver refuses it and damages nothing.</summary>
public sealed class HostilePeerTests : FileSystemTest
{
    [TestCase("root/../../escaped.txt")]
    [TestCase("root/../escaped.txt")]
    [TestCase("/tmp/escaped.txt")]
    [TestCase("root//x")]
    [TestCase("root/./x")]
    [TestCase("root/a\\..\\..\\escaped.txt")]
    [TestCase("root/bad\u0000name")]
    [TestCase("other-root/x.txt")]
    [TestCase("C:/escaped.txt")]
    [TestCase("root/C:\\escaped.txt")]
    [TestCase("\\\\server\\share\\escaped.txt")]
    [TestCase("//server/share/escaped.txt")]
    [TestCase("root/...")]
    [TestCase("root/\u001b]0;pwned\u0007")]
    [TestCase("root/tab\there")]
    [TestCase("LONG-NAME")]
    [TestCase("LONG-PATH")]
    public async Task HostilePath_FailsTheTransfer_AndWritesNothing(string path)
    {
        path = path switch
        {
            "LONG-NAME" => "root/" + new string('n', 256),
            "LONG-PATH" => "root/" + string.Join('/', Enumerable.Repeat(new string('p', 200), 21)),
            _ => path,
        };
        using var pool = new ChunkPool();
        var (endPoint, result, listener) = await InProcess.StartReceiverAsync(new ReceiveOptions { Destination = Dest, Pool = pool });
        await using (listener)
        {
            await using var peer = await RawPeer.ConnectAsync(InProcess.Loopback, endPoint);
            await peer.HandshakeAsync();
            Assert.That((await peer.OfferAsync("root")).Accepted, Is.True);
            peer.SendFile(0, path, "evil"u8.ToArray());
            peer.Send(new TransferEnd { Files = 1 });
            await peer.FlushAsync();

            var error = Assert.ThrowsAsync<PeerErrorException>(peer.ReadAsync);
            Assert.That(error!.Code, Is.EqualTo(ErrorCode.InvalidPath));
            await peer.Frames.Output.CompleteAsync();
            Assert.That(error.Message, Does.Contain("refused path"));
            Assert.That(async () => await result.WaitAsync(InProcess.Timeout), Throws.Exception);
        }

        Assert.That(InProcess.FilesUnder(Dest), Is.Empty, "nothing may be written for a refused path");
        Assert.That(File.Exists(Dir.Combine("escaped.txt")), Is.False);
        Assert.That(pool.Outstanding, Is.Zero);
    }

    [TestCase("root/x.txt", "root/x.txt", false)]
    [TestCase("root/Photo.JPG", "root/photo.jpg", true)]
    [TestCase("root/caf\u00e9", "root/cafe\u0301", true)]
    [TestCase("root/CON", null, true)]
    [TestCase("root/notes.txt:hidden", null, true)]
    [TestCase("root/NUL.txt", null, true)]
    [TestCase("root/com1", null, true)]
    [TestCase("root/trailing.", null, true)]
    [TestCase("root/trailing ", null, true)]
    public async Task DuplicateOrUnportableEntry_FailsTheTransfer_AndKeepsTheFirstFileIntact(string first, string? second, bool portable)
    {
        first = System.Text.RegularExpressions.Regex.Unescape(first);
        second = second is null ? null : System.Text.RegularExpressions.Regex.Unescape(second);
        var (endPoint, result, listener) = await InProcess.StartReceiverAsync(new ReceiveOptions { Destination = Dest, PortableNames = portable });
        await using (listener)
        {
            await using var peer = await RawPeer.ConnectAsync(InProcess.Loopback, endPoint);
            await peer.HandshakeAsync();
            Assert.That((await peer.OfferAsync("root")).Accepted, Is.True);
            peer.Send(new EntryBatch { Entries = [new EntryInfo { Id = 0, Path = "root", Kind = EntryKind.Directory, Mode = -1 }] });
            if (second is null)
            {
                peer.SendFile(1, first, "evil"u8.ToArray());
            }
            else
            {
                peer.SendFile(1, first, "good"u8.ToArray());
                peer.SendFile(2, second, "evil"u8.ToArray());
            }

            peer.Send(new TransferEnd { Files = second is null ? 1 : 2 });
            await peer.FlushAsync();
            var error = Assert.ThrowsAsync<PeerErrorException>(peer.ReadAsync);
            Assert.That(error!.Code, Is.EqualTo(ErrorCode.InvalidPath));
            Assert.That(error.Message, Does.Contain(second is null ? "Windows" : "declared twice"));
            await peer.Frames.Output.CompleteAsync();
            Assert.That(async () => await result.WaitAsync(InProcess.Timeout), Throws.Exception);
        }

        var placed = Directory.GetFiles(Path.Combine(Dest, "root"));
        Assert.That(placed.Select(File.ReadAllText), Has.None.EqualTo("evil"), "the second declaration never replaced anything");
    }

    [TestCase("../up")]
    [TestCase("a/b")]
    [TestCase("")]
    public async Task HostileRootName_IsRefusedAtTheOffer(string root)
    {
        var (endPoint, result, listener) = await InProcess.StartReceiverAsync(new ReceiveOptions { Destination = Dest });
        await using (listener)
        {
            await using var peer = await RawPeer.ConnectAsync(InProcess.Loopback, endPoint);
            await peer.HandshakeAsync();
            var reply = await peer.OfferAsync(root);
            Assert.That(reply.Accepted, Is.False);
            Assert.That(reply.Reason, Is.Not.Empty);
            Assert.ThrowsAsync<TransferRefusedException>(() => result.WaitAsync(InProcess.Timeout));
        }
    }

    [Test]
    public async Task WrongHash_FailsThatFile_LeavesNoFile_AndKeepsTheExistingOne()
    {
        Directory.CreateDirectory(Path.Combine(Dest, "root"));
        File.WriteAllText(Path.Combine(Dest, "root", "victim.txt"), "precious");
        var (endPoint, result, listener) = await InProcess.StartReceiverAsync(new ReceiveOptions { Destination = Dest, OnConflict = Files.ConflictPolicy.Overwrite });
        await using (listener)
        {
            await using var peer = await RawPeer.ConnectAsync(InProcess.Loopback, endPoint);
            await peer.HandshakeAsync();
            await peer.OfferAsync("root");
            peer.SendFile(0, "root/victim.txt", "corrupted"u8.ToArray(), corruptHash: true);
            peer.SendFile(1, "root/fine.txt", "fine"u8.ToArray());
            peer.Send(new TransferEnd { Files = 2 });
            await peer.FlushAsync();

            var summary = (TransferSummary)await peer.ReadAsync();
            Assert.That(summary.Success, Is.False);
            Assert.That(summary.Failures.Single().Path, Is.EqualTo("root/victim.txt"));
            Assert.That(summary.Failures.Single().Reason, Does.Contain("integrity check failed"));
            Assert.That(summary.FilesWritten, Is.EqualTo(1));
            var received = await result.WaitAsync(InProcess.Timeout);
            Assert.That(received.Success, Is.False);
        }

        Assert.That(File.ReadAllText(Path.Combine(Dest, "root", "victim.txt")), Is.EqualTo("precious"));
        Assert.That(File.ReadAllText(Path.Combine(Dest, "root", "fine.txt")), Is.EqualTo("fine"));
        Assert.That(InProcess.FilesUnder(Dest).Where(f => f.EndsWith(".part", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public async Task SenderAbortsAFile_ItIsDroppedAndReported()
    {
        var (endPoint, result, listener) = await InProcess.StartReceiverAsync(new ReceiveOptions { Destination = Dest });
        await using (listener)
        {
            await using var peer = await RawPeer.ConnectAsync(InProcess.Loopback, endPoint);
            await peer.HandshakeAsync();
            await peer.OfferAsync("root");
            peer.Send(new EntryBatch { Entries = [new EntryInfo { Id = 0, Path = "root/gone.bin", Size = 10 }] });
            peer.SendData(0, 0, new byte[4]);
            peer.Send(new FileAbort { Id = 0, Reason = "permission denied" });
            peer.Send(new TransferEnd { Files = 0 });
            await peer.FlushAsync();
            var summary = (TransferSummary)await peer.ReadAsync();
            Assert.That(summary.Failures.Single().Reason, Does.Contain("permission denied"));
            await result.WaitAsync(InProcess.Timeout);
        }

        Assert.That(InProcess.FilesUnder(Path.Combine(Dest, "root")), Is.Empty);
    }

    [TestCase("undeclared", TestName = "Data for an undeclared file")]
    [TestCase("overlap", TestName = "Overlapping data")]
    [TestCase("oversize", TestName = "More data than announced")]
    [TestCase("unfinished", TestName = "Transfer ends with a file unfinished")]
    [TestCase("garbage", TestName = "Garbage frame")]
    [TestCase("duplicate-id", TestName = "Entry id reused")]
    public async Task ProtocolViolation_FailsTheTransfer_AndLeavesNoPartialFiles(string violation)
    {
        using var pool = new ChunkPool();
        var (endPoint, result, listener) = await InProcess.StartReceiverAsync(new ReceiveOptions { Destination = Dest, Pool = pool });
        await using (listener)
        {
            await using var peer = await RawPeer.ConnectAsync(InProcess.Loopback, endPoint);
            await peer.HandshakeAsync();
            await peer.OfferAsync("root");
            peer.Send(new EntryBatch { Entries = [new EntryInfo { Id = 5, Path = "root/f.bin", Size = 100 }] });
            switch (violation)
            {
                case "undeclared":
                    peer.SendData(6, 0, new byte[10]);
                    break;
                case "overlap":
                    peer.SendData(5, 0, new byte[50]);
                    peer.SendData(5, 40, new byte[50]);
                    break;
                case "oversize":
                    peer.SendData(5, 0, new byte[101]);
                    break;
                case "unfinished":
                    peer.SendData(5, 0, new byte[50]);
                    peer.Send(new TransferEnd());
                    break;
                case "garbage":
                    peer.SendData(5, 0, new byte[50]);
                    peer.SendRaw([0x09, 0, 0, 0, 0, 0, 0, 1, 0]);
                    break;
                case "duplicate-id":
                    peer.Send(new EntryBatch { Entries = [new EntryInfo { Id = 5, Path = "root/g.bin", Size = 1 }] });
                    break;
            }

            await peer.FlushAsync();
            var error = Assert.ThrowsAsync<PeerErrorException>(peer.ReadAsync);
            Assert.That(error!.Code, Is.EqualTo(ErrorCode.ProtocolViolation));
            await peer.Frames.Output.CompleteAsync();
            Assert.That(async () => await result.WaitAsync(InProcess.Timeout), Throws.InstanceOf<ProtocolException>());
        }

        Assert.That(InProcess.FilesUnder(Dest).Where(f => File.Exists(f)), Is.Empty, "partial files must be removed");
        Assert.That(pool.Outstanding, Is.Zero);
    }

    [Test]
    public async Task SilentPeer_IsDroppedAfterTheHandshakeTimeout()
    {
        var options = new ReceiveOptions { Destination = Dest, HandshakeTimeout = TimeSpan.FromMilliseconds(300) };
        var (endPoint, result, listener) = await InProcess.StartReceiverAsync(options);
        await using (listener)
        {
            await using var peer = await RawPeer.ConnectAsync(InProcess.Loopback, endPoint);
            Assert.That(async () => await result.WaitAsync(InProcess.Timeout), Throws.InstanceOf<TimeoutException>());
        }
    }

    [Test]
    public async Task NotPeerFlow_IsRejected()
    {
        var (endPoint, result, listener) = await InProcess.StartReceiverAsync(new ReceiveOptions { Destination = Dest });
        await using (listener)
        {
            await using var peer = await RawPeer.ConnectAsync(InProcess.Loopback, endPoint);
            peer.SendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            await peer.FlushAsync();
            var error = Assert.ThrowsAsync<ProtocolException>(() => result.WaitAsync(InProcess.Timeout));
            Assert.That(error!.Message, Does.Contain("preface"));

            // A client that does not speak PeerFlow gets no answer at all, only the end of the connection.
            long answered = 0;
            try
            {
                while (true)
                {
                    var read = await peer.Frames.Input.ReadAsync().AsTask().WaitAsync(InProcess.Timeout);
                    answered += read.Buffer.Length;
                    peer.Frames.Input.AdvanceTo(read.Buffer.End);
                    if (read.IsCompleted)
                    {
                        break;
                    }
                }
            }
            catch (Transports.TransportException)
            {
            }

            Assert.That(answered, Is.Zero);
        }
    }

    [Test]
    public async Task UnsupportedProtocolVersion_IsRefusedWithAClearMessage()
    {
        var (endPoint, result, listener) = await InProcess.StartReceiverAsync(new ReceiveOptions { Destination = Dest });
        await using (listener)
        {
            await using var peer = await RawPeer.ConnectAsync(InProcess.Loopback, endPoint);
            var error = Assert.ThrowsAsync<PeerErrorException>(() => peer.HandshakeAsync(version: 99));
            Assert.That(error!.Code, Is.EqualTo(ErrorCode.UnsupportedVersion));
            Assert.That(async () => await result.WaitAsync(InProcess.Timeout), Throws.InstanceOf<ProtocolException>());
        }
    }

    [TestCase("entries", TestName = "More entries than the receiver allows")]
    [TestCase("depth", TestName = "A path deeper than the receiver allows")]
    public async Task ManifestBeyondTheLimits_FailsTheTransfer_WithTheLimitNamed(string limit)
    {
        var options = new ReceiveOptions { Destination = Dest, MaxEntries = limit == "entries" ? 3 : 100, MaxDepth = 3 };
        var (endPoint, result, listener) = await InProcess.StartReceiverAsync(options);
        await using (listener)
        {
            await using var peer = await RawPeer.ConnectAsync(InProcess.Loopback, endPoint);
            await peer.HandshakeAsync();
            Assert.That((await peer.OfferAsync("root")).Accepted, Is.True);
            string[] paths = limit == "entries" ? ["root", "root/a", "root/b", "root/c"] : ["root", "root/a", "root/a/b", "root/a/b/c"];
            peer.Send(new EntryBatch { Entries = [.. paths.Select((p, i) => new EntryInfo { Id = (uint)i, Path = p, Kind = EntryKind.Directory })] });
            await peer.FlushAsync();

            var error = Assert.ThrowsAsync<PeerErrorException>(peer.ReadAsync);
            Assert.That(error!.Message, Does.Contain(limit == "entries" ? "more than 3 entries" : "limit of 3 (receive --max-depth)"));
            await peer.Frames.Output.CompleteAsync();
            Assert.That(async () => await result.WaitAsync(InProcess.Timeout), Throws.Exception);
        }

        Assert.That(Directory.Exists(Path.Combine(Dest, "root", limit == "entries" ? "c" : "a/b/c")), Is.False);
    }
}
