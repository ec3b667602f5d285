using System.Net;

using Microsoft.Extensions.Logging.Abstractions;

using PeerFlow.Protocol;
using PeerFlow.Protocol.Messages;
using PeerFlow.Session;
using PeerFlow.Testing;
using PeerFlow.Transfers;
using PeerFlow.Transports;

namespace PeerFlow.Core.Tests;

/// <summary>A sender misusing extra data streams gets a clear error and writes nothing it should not.</summary>
public sealed class HostileStreamTests : FileSystemTest
{
    private ITransportListener _listener = null!;
    private CancellationTokenSource _stop = null!;
    private Task<TransferResult?> _serving = null!;

    [SetUp]
    public async Task StartServer()
    {
        _listener = await InProcess.Loopback.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        _stop = new CancellationTokenSource();
        _serving = new ReceiveServer(_listener, new ReceiveOptions { Destination = Dest }, NullLogger.Instance, maxConcurrentTransfers: 16).RunAsync(once: false, _stop.Token);
    }

    [TearDown]
    public async Task StopServer()
    {
        await _stop.CancelAsync();
        await _serving.WaitAsync(InProcess.Timeout);
        await _listener.DisposeAsync();
        _stop.Dispose();
    }

    [Test]
    public async Task ChunksOverlapping_AcrossTwoStreams_AreAProtocolError()
    {
        var (main, stream) = await OpenAsync();
        await using (main)
        await using (stream)
        {
            Declare(main, 1, "root/a.bin", 100);
            await main.FlushAsync();
            stream.SendData(1, 50, new byte[50]);
            await stream.FlushAsync();
            main.SendData(1, 40, new byte[20]);
            await main.FlushAsync();

            var error = Assert.ThrowsAsync<PeerErrorException>(main.ReadAsync);
            Assert.That(error!.Code, Is.EqualTo(ErrorCode.ProtocolViolation));
            Assert.That(error.Message, Does.Contain("overlaps").Or.Contain("gap or overlap"));
        }

        AssertNothingPlaced();
    }

    [Test]
    public async Task DataForAFileNeverDeclared_IsReported_WhenTheTransferEnds()
    {
        var (main, stream) = await OpenAsync();
        await using (main)
        await using (stream)
        {
            stream.SendData(7, 0, new byte[10]);
            await stream.FlushAsync();
            main.Send(new TransferEnd());
            await main.FlushAsync();

            var error = Assert.ThrowsAsync<PeerErrorException>(main.ReadAsync);
            Assert.That(error!.Message, Does.Contain("file id 7, which is not declared"));
        }
    }

    [Test]
    public async Task ControlMessageOnADataStream_IsAProtocolError()
    {
        var (main, stream) = await OpenAsync();
        await using (main)
        await using (stream)
        {
            Declare(stream, 1, "root/a.bin", 10);
            await stream.FlushAsync();

            var error = Assert.ThrowsAsync<PeerErrorException>(main.ReadAsync);
            Assert.That(error!.Message, Does.Contain("a data stream carries only data frames and heartbeats"));
        }
    }

    [Test]
    public async Task JoinWithWrongToken_OrUnknownTransfer_IsRefused_AndTheTransferGoesOn()
    {
        await using var main = await RawPeer.ConnectAsync(InProcess.Loopback, _listener.LocalEndPoint);
        await main.HandshakeAsync(ProtocolConstants.Version, ProtocolConstants.CapabilityStreams);
        var reply = await main.OfferAsync(2, "root");
        Assert.That(reply.ExtraStreams, Is.EqualTo(2));

        var wrong = reply.StreamToken!.ToArray();
        wrong[0] ^= 1;
        var (bad, refused) = await RawPeer.JoinAsync(InProcess.Loopback, _listener.LocalEndPoint, main.TransferId, wrong, 1);
        await using (bad)
        {
            Assert.That(refused.Accepted, Is.False);
            Assert.That(refused.Reason, Is.EqualTo("wrong stream token"));
        }

        var (stranger, unknown) = await RawPeer.JoinAsync(InProcess.Loopback, _listener.LocalEndPoint, new byte[16], reply.StreamToken!, 1);
        await using (stranger)
        {
            Assert.That(unknown.Accepted, Is.False);
            Assert.That(unknown.Reason, Does.Contain("no transfer with that id"));
        }

        // The real stream 1 still joins, and the transfer completes over both connections.
        var (stream, accepted) = await RawPeer.JoinAsync(InProcess.Loopback, _listener.LocalEndPoint, main.TransferId, reply.StreamToken!, 1);
        await using (stream)
        {
            Assert.That(accepted.Accepted, Is.True);
            var content = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
            Declare(main, 1, "root/a.bin", content.Length);
            await main.FlushAsync();
            stream.SendData(1, 60, content[60..]);
            await stream.FlushAsync();
            main.SendData(1, 0, content[..60]);
            main.Send(new FileEnd { Id = 1, Length = content.Length, Hash = System.IO.Hashing.XxHash128.Hash(content) });
            main.Send(new TransferEnd { Files = 1, Bytes = content.Length });
            await main.FlushAsync();
            await stream.Frames.Output.CompleteAsync();

            var summary = await main.ReadAsync();
            Assert.That(summary, Is.InstanceOf<TransferSummary>().With.Property(nameof(TransferSummary.Success)).True);
            Assert.That(File.ReadAllBytes(Path.Combine(Dest, "root", "a.bin")), Is.EqualTo(content));
        }
    }

    private async Task<(RawPeer Main, RawPeer Stream)> OpenAsync()
    {
        var main = await RawPeer.ConnectAsync(InProcess.Loopback, _listener.LocalEndPoint);
        await main.HandshakeAsync(ProtocolConstants.Version, ProtocolConstants.CapabilityStreams);
        var reply = await main.OfferAsync(1, "root");
        Assert.That(reply.Accepted && reply.ExtraStreams == 1, Is.True);
        var (stream, joined) = await RawPeer.JoinAsync(InProcess.Loopback, _listener.LocalEndPoint, main.TransferId, reply.StreamToken!, 1);
        Assert.That(joined.Accepted, Is.True, joined.Reason);
        return (main, stream);
    }

    private static void Declare(RawPeer peer, uint id, string path, long size)
        => peer.Send(new EntryBatch { Entries = [new EntryInfo { Id = id, Path = path, Kind = EntryKind.File, Size = size, Mode = 420 }] });

    private void AssertNothingPlaced()
        => Assert.That(File.Exists(Path.Combine(Dest, "root", "a.bin")), Is.False, "nothing unverified at a final path");
}
