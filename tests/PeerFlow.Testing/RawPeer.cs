using System.Buffers;
using System.Net;

using PeerFlow.Protocol;
using PeerFlow.Protocol.Framing;
using PeerFlow.Protocol.Messages;
using PeerFlow.Session;
using PeerFlow.Transports;

namespace PeerFlow.Testing;

/// <summary>
/// A test client that speaks PeerFlow's wire protocol directly, frame by frame, so tests can send what a real
/// sender never would (hostile paths, bad hashes, stray data).
/// </summary>
public sealed class RawPeer : IAsyncDisposable
{
    private RawPeer(ITransportConnection connection)
    {
        Connection = connection;
        Frames = new FrameConnection(connection);
    }

    public ITransportConnection Connection { get; }

    public FrameConnection Frames { get; }

    /// <summary>Connects in plaintext, or with <paramref name="identity"/> over TLS (a trusted peer can be hostile too).</summary>
    public static async Task<RawPeer> ConnectAsync(ITransportFactory factory, EndPoint endPoint, Security.PeerIdentity? identity = null)
        => new(identity is null
            ? await factory.ConnectAsync(endPoint)
            : await Security.TlsLayer.ConnectAsync(factory, endPoint, identity, null, null, CancellationToken.None));

    /// <summary>The transfer id of the last offer.</summary>
    public byte[] TransferId { get; private set; } = [];

    /// <summary>Preface + Hello, then the receiver's preface + HelloReply.</summary>
    public async Task<HelloReply> HandshakeAsync(int version = ProtocolConstants.Version, params string[] capabilities)
    {
        FrameWriter.WritePreface(Frames.Output);
        Send(new Hello { ProtocolVersion = version, MinProtocolVersion = version, Software = "RawPeer", Capabilities = [ProtocolConstants.CapabilityLz4, .. capabilities] });
        await FlushAsync();
        await Frames.ReadPrefaceAsync(CancellationToken.None);
        return await Frames.ReadControlAsync<HelloReply>(CancellationToken.None);
    }

    public Task<TransferReply> OfferAsync(params string[] roots) => OfferAsync(0, roots);

    /// <summary>Offers <paramref name="roots"/>, asking for <paramref name="extraStreams"/> data streams (needs the <c>streams</c> capability in the handshake).</summary>
    public async Task<TransferReply> OfferAsync(int extraStreams, params string[] roots)
    {
        TransferId = Guid.NewGuid().ToByteArray();
        Send(new TransferOffer { TransferId = TransferId, Roots = roots, ChunkSize = 1 << 20, ExtraStreams = extraStreams });
        await FlushAsync();
        return await Frames.ReadControlAsync<TransferReply>(CancellationToken.None);
    }

    /// <summary>Makes <paramref name="offer"/> (its transfer id filled in when empty) and returns the reply.</summary>
    public async Task<TransferReply> OfferAsync(TransferOffer offer)
    {
        if (offer.TransferId is not { Length: 16 })
        {
            offer.TransferId = Guid.NewGuid().ToByteArray();
        }

        TransferId = offer.TransferId;
        Send(offer);
        await FlushAsync();
        return await Frames.ReadControlAsync<TransferReply>(CancellationToken.None);
    }

    /// <summary>Opens a new connection as extra data stream <paramref name="stream"/> of a transfer; returns it with the receiver's answer.</summary>
    public static async Task<(RawPeer Stream, JoinReply Reply)> JoinAsync(ITransportFactory factory, EndPoint endPoint, byte[] transferId, byte[] token, int stream)
    {
        var peer = new RawPeer(await factory.ConnectAsync(endPoint));
        FrameWriter.WritePreface(peer.Frames.Output);
        peer.Send(new JoinStream { TransferId = transferId, Token = token, Stream = stream });
        await peer.FlushAsync();
        await peer.Frames.ReadPrefaceAsync(CancellationToken.None);
        return (peer, await peer.Frames.ReadControlAsync<JoinReply>(CancellationToken.None));
    }

    public void Send(ControlMessage message) => FrameWriter.WriteControl(Frames.Output, message);

    public void SendData(uint fileId, long offset, byte[] data) => FrameWriter.WriteData(Frames.Output, fileId, offset, data.Length, data, compressed: false);

    public void SendRaw(byte[] bytes) => Frames.Output.Write(bytes.AsSpan());

    public async Task FlushAsync() => await Frames.Output.FlushAsync();

    /// <summary>Declares one file, sends its content and a correct (or deliberately wrong) hash.</summary>
    public void SendFile(uint id, string path, byte[] content, bool corruptHash = false)
    {
        Send(new EntryBatch { Entries = [new EntryInfo { Id = id, Path = path, Kind = EntryKind.File, Size = content.Length, ModifiedUnixNanoseconds = 0, Mode = 420 }] });
        if (content.Length > 0)
        {
            SendData(id, 0, content);
        }

        var hash = System.IO.Hashing.XxHash128.Hash(content);
        if (corruptHash)
        {
            hash[0] ^= 0xff;
        }

        Send(new FileEnd { Id = id, Length = content.Length, Hash = hash });
    }

    /// <summary>The receiver's next message; its <see cref="ErrorMessage"/> comes back as <see cref="PeerErrorException"/>.</summary>
    public Task<ControlMessage> ReadAsync() => Frames.ReadControlAsync(CancellationToken.None).AsTask();

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}
