using System.Collections.Concurrent;
using System.Security.Cryptography;

using PeerFlow.Pipeline;
using PeerFlow.Protocol;
using PeerFlow.Protocol.Messages;
using PeerFlow.Security;
using PeerFlow.Session;

namespace PeerFlow.Transfers;

/// <summary>
/// Transfers a receiver accepted with extra data streams, and the streams joining them. A joining stream arrives as a
/// connection of its own (on any listener of the process) or as a new stream of the transfer's QUIC connection; it
/// names the transfer and presents the token of the receiver's reply, from the same peer ID as the main connection.
/// </summary>
internal static class StreamJoins
{
    private static readonly ConcurrentDictionary<string, Joinable> Transfers = new(StringComparer.Ordinal);

    /// <summary>Makes a transfer joinable by <paramref name="streams"/> extra streams; dispose to close it to joins.</summary>
    public static Joinable Register(byte[] transferId, int streams, PeerId? peer)
    {
        var joinable = new Joinable(Convert.ToHexStringLower(transferId), RandomNumberGenerator.GetBytes(ProtocolConstants.StreamTokenLength), streams, peer);
        // A new attempt of the same transfer (after a reconnect) replaces the old one.
        Transfers[joinable.Key] = joinable;
        return joinable;
    }

    /// <summary>
    /// Serves a connection whose first message was <paramref name="join"/>: answers it and, once accepted, reads
    /// its data frames into the transfer's pipeline until the sender closes it. A failure of the transfer is reported
    /// by its main connection, not here.
    /// </summary>
    public static async Task ServeAsync(FrameConnection frames, JoinStream join, PeerId? peer, CancellationToken cancellationToken)
    {
        var joinable = join.TransferId is { Length: 16 } && Transfers.TryGetValue(Convert.ToHexStringLower(join.TransferId), out var found) ? found : null;
        var refusal = joinable is null ? "no transfer with that id is waiting for streams" : joinable.Check(join, peer);
        Task? loop = null;
        if (refusal is null)
        {
            var pipeline = await joinable!.Pipeline.WaitAsync(cancellationToken).ConfigureAwait(false);
            loop = pipeline?.AddStream(frames);
            refusal = loop is null ? "the transfer is over" : null;
        }

        await frames.SendControlAsync(new JoinReply { Accepted = refusal is null, Reason = refusal }, cancellationToken).ConfigureAwait(false);
        if (loop is null)
        {
            await frames.Output.CompleteAsync().ConfigureAwait(false);
            throw new ProtocolException($"refused a data stream: {refusal}");
        }

        joinable!.Session?.AddStream(frames, heartbeats: false, watch: true);
        try
        {
            await loop.ConfigureAwait(false);
            await frames.Output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The pipeline failed: its main connection tells the sender why.
            frames.Connection.Abort();
        }
    }

    /// <summary>One transfer's side of joining: what a join must present, and the pipeline it feeds.</summary>
    internal sealed class Joinable(string key, byte[] token, int streams, PeerId? peer) : IDisposable
    {
        private readonly TaskCompletionSource<ReceivePipeline?> _pipeline = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly bool[] _joined = new bool[streams + 1];

        public string Key { get; } = key;

        public byte[] Token { get; } = token;

        public int Streams { get; } = streams;

        public Task<ReceivePipeline?> Pipeline => _pipeline.Task;

        public TransferSession? Session { get; private set; }

        /// <summary>The transfer's pipeline is ready for its streams.</summary>
        public void Attach(ReceivePipeline pipeline, TransferSession session)
        {
            Session = session;
            _pipeline.TrySetResult(pipeline);
        }

        /// <summary>Why <paramref name="join"/> may not join, or null (the stream number is then taken).</summary>
        public string? Check(JoinStream join, PeerId? joiner)
        {
            if (join.Token is not { Length: ProtocolConstants.StreamTokenLength } || !CryptographicOperations.FixedTimeEquals(join.Token, Token))
            {
                return "wrong stream token";
            }

            if (joiner != peer)
            {
                return $"the stream comes from peer ID {joiner?.ToString() ?? "(plaintext)"}, the transfer from {peer?.ToString() ?? "(plaintext)"}";
            }

            lock (_joined)
            {
                if (join.Stream < 1 || join.Stream > Streams || _joined[join.Stream])
                {
                    return $"stream {join.Stream} is not one of the {Streams} accepted, or joined already";
                }

                _joined[join.Stream] = true;
                return null;
            }
        }

        public void Dispose()
        {
            Transfers.TryRemove(new KeyValuePair<string, Joinable>(Key, this));
            _pipeline.TrySetResult(null);
        }
    }
}
