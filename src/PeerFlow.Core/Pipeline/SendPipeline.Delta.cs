using System.IO.Hashing;
using System.Threading.Tasks.Dataflow;

using PeerFlow.Delta;
using PeerFlow.Files;
using PeerFlow.Protocol.Messages;

namespace PeerFlow.Pipeline;

/// <summary>
/// Delta transfers in <see cref="SendPipeline"/>: for a file the receiver answered with <see cref="VerdictKind.Delta"/>,
/// wait for its block signatures, then send only what differs (<see cref="DeltaScanner"/>): literal chunks and
/// <see cref="BlockCopy"/> ranges, all on the main connection so the receiver gets them in file order.
/// </summary>
internal sealed partial class SendPipeline
{
    private long _deltaCopied;
    private long _dataFrameBytes;

    /// <summary>Where the receiver's block signatures arrive (null: no delta in this transfer).</summary>
    public SignatureBook? Signatures { get; init; }

    /// <summary>Bytes of the new files' content the receiver took from its old versions instead of the wire.</summary>
    public long DeltaCopied => Interlocked.Read(ref _deltaCopied);

    /// <summary>Bytes of data frames written (headers included, after compression): the file content that crossed the link.</summary>
    public long DataFrameBytes => Interlocked.Read(ref _dataFrameBytes);

    /// <summary>Sends <paramref name="entry"/> as a delta against the receiver's version; returns its bytes and hash for the file's end.</summary>
    private async Task<(long Length, byte[] Hash)> SendDeltaAsync(SourceEntry entry, ITargetBlock<SendItem> head, CancellationToken token)
    {
        var index = await (Signatures ?? throw new Protocol.ProtocolException("a delta verdict in a transfer that did not offer delta")).TakeAsync(entry.Id, token).ConfigureAwait(false);
        Diagnostics.PhaseTrace.Mark($"delta signatures in, file {entry.Id}");
        var hasher = new XxHash128();
        using var handle = FileCalls.OpenRead(entry.FullPath, sequential: true);
        using (var scanner = new DeltaScanner(handle, entry.Size, index, _pool, _options.ChunkSize.ChunkFor(entry.Size), hasher))
        {
            while (scanner.Next() is { } step)
            {
                if (step.Literal is { } data)
                {
                    var chunk = new ChunkItem(entry.Id, step.Offset, data) { OnMain = true };
                    await SendAsync(head, chunk, token, data).ConfigureAwait(false);
                    continue;
                }

                await SendAsync(head, new ControlItem(new BlockCopy { Id = entry.Id, Offset = step.Offset, BasisOffset = step.BasisOffset, Length = step.CopyLength }), token).ConfigureAwait(false);
                Interlocked.Add(ref _deltaCopied, step.CopyLength);
                Interlocked.Add(ref _alreadyThere, step.CopyLength);
                _progress.Credit(step.CopyLength);
            }
        }

        Diagnostics.PhaseTrace.Mark($"delta scanned, file {entry.Id}");
        if (SourceChanged(entry, handle))
        {
            throw new IOException($"'{entry.RelativePath}' changed while it was being sent; send it again");
        }

        return (entry.Size, hasher.GetCurrentHash());
    }
}
