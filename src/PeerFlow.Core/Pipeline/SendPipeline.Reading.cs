using System.IO.Hashing;
using System.Threading.Tasks.Dataflow;

using Microsoft.Win32.SafeHandles;

using PeerFlow.Files;
using PeerFlow.Protocol.Messages;
using PeerFlow.Transfers;

namespace PeerFlow.Pipeline;

/// <summary>The readers of <see cref="SendPipeline"/>: one file each, hashing as they read, resuming where the receiver asks.</summary>
internal sealed partial class SendPipeline
{
    /// <summary>A declared file on its way to a reader, with the receiver's verdict on it (null: send it all).</summary>
    private readonly record struct FileWork(SourceEntry Entry, EntryVerdict? Verdict);

    /// <summary>
    /// Where declared files enter: straight to the readers, or, with verdicts, through a gate that waits for each
    /// file's verdict and lets through only what is to be sent. The gate holds up to <see cref="VerdictWindow"/>
    /// files, so the enumerator declares batches that far ahead of the answers: a sync of a tree that has not changed
    /// costs a stream of batches and verdicts, not a round trip per batch.
    /// </summary>
    private ITargetBlock<SourceEntry[]> Intake(ActionBlock<FileWork> readers, CancellationToken token)
    {
        if (_verdicts is null)
        {
            var direct = new TransformManyBlock<SourceEntry[], FileWork>(files => files.Select(file => new FileWork(file, null)), Options(1, 1, token));
            direct.LinkTo(readers, new DataflowLinkOptions { PropagateCompletion = true });
            return direct;
        }

        var gate = new TransformManyBlock<SourceEntry[], FileWork>(files => PassAsync(files, token), Options(1, VerdictWindow / EntryBatchSize, token));
        gate.LinkTo(readers, new DataflowLinkOptions { PropagateCompletion = true });
        return gate;
    }

    /// <summary>One batch's files once its verdicts are in: those to send go on to the readers, the others are done.</summary>
    private async Task<IEnumerable<FileWork>> PassAsync(SourceEntry[] files, CancellationToken token)
    {
        try
        {
            var last = await _verdicts!.TakeAsync(files[^1].Id, token).ConfigureAwait(false);
            var work = new List<FileWork>();
            for (var i = 0; i < files.Length; i++)
            {
                var entry = files[i];
                var verdict = i == files.Length - 1 ? last : _verdicts.Take(entry.Id);
                if (verdict?.Kind is VerdictKind.Have or VerdictKind.Skip)
                {
                    // Nothing to send, not even the file's end: the receiver counts it as done already.
                    Interlocked.Increment(ref _unchanged);
                    Interlocked.Add(ref _alreadyThere, entry.Size);
                    _progress.Credit(entry.Size);
                    _progress.AddFile();
                }
                else if (!RecordSyncChange(entry, verdict))
                {
                    work.Add(new FileWork(entry, verdict));
                }
            }

            return work;
        }
        catch (Exception ex)
        {
            _fault.Report(ex);
            throw;
        }
    }

    private async Task ReadFileAsync(FileWork work, ITargetBlock<SendItem> head, CancellationToken token)
    {
        var (entry, verdict) = work;
        try
        {
            var hasher = new XxHash128();
            long sent = 0;
            if (verdict?.Kind == VerdictKind.Delta)
            {
                var (length, hash) = await SendDeltaAsync(entry, head, token).ConfigureAwait(false);
                await FinishFileAsync(entry, length, hash, head, token).ConfigureAwait(false);
                return;
            }

            if (entry.Size > 0)
            {
                // Read-ahead advice only pays for files bigger than one chunk; for small files it is one more syscall.
                using var handle = FileCalls.OpenRead(entry.FullPath, sequential: entry.Size > _options.ChunkSize.MaxChunk);
                var chunkSize = _options.ChunkSize.ChunkFor(entry.Size);
                if (verdict is { Kind: VerdictKind.Resume } resume)
                {
                    sent = MatchPrefix(entry, handle, resume, hasher, chunkSize);
                }

                while (sent < entry.Size)
                {
                    var length = (int)Math.Min(chunkSize, entry.Size - sent);
                    var buffer = _pool.Rent(length);
                    try
                    {
                        // A synchronous read: this is already a reader's own thread-pool work item, and an
                        // asynchronous read of a regular file is the same pread handed to yet another work item.
                        var read = FileCalls.Read(handle, buffer.Array.AsSpan(0, length), sent);
                        if (read < length)
                        {
                            throw new IOException($"'{entry.FullPath}' shrank while it was being read");
                        }

                        hasher.Append(buffer.Span);
                        var chunk = new ChunkItem(entry.Id, sent, buffer) { Pinned = verdict is { Kind: VerdictKind.Resume } };
                        buffer = null;
                        await SendAsync(head, chunk, token, chunk.Data).ConfigureAwait(false);
                    }
                    finally
                    {
                        buffer?.Dispose();
                    }

                    sent += length;
                }

                if (entry.Size > chunkSize && SourceChanged(entry, handle))
                {
                    // Never deliver a mix of two versions: the receiver drops what it got of this one.
                    throw new IOException($"'{entry.RelativePath}' changed while it was being sent; send it again");
                }
            }

            await FinishFileAsync(entry, sent, hasher.GetCurrentHash(), head, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && !token.IsCancellationRequested)
        {
            // One unreadable file does not end the transfer: tell the receiver to drop it, and report it.
            lock (_failuresLock)
            {
                _failures.Add(new TransferFailure(entry.RelativePath, ex.Message));
            }

            await SendAsync(head, new ControlItem(new FileAbort { Id = entry.Id, Reason = ex.Message }), token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _fault.Report(ex);
            throw;
        }
    }

    private async Task FinishFileAsync(SourceEntry entry, long sent, byte[] hash, ITargetBlock<SendItem> head, CancellationToken token)
    {
        var end = new FileEnd { Id = entry.Id, Length = sent, Hash = hash };
        Interlocked.Increment(ref _files);
        Interlocked.Add(ref _bytes, sent);
        await SendAsync(head, new ControlItem(end, entry), token).ConfigureAwait(false);
    }

    /// <summary>
    /// Hashes the first <see cref="EntryVerdict.Offset"/> bytes of the source and compares them with the receiver's
    /// kept prefix. Returns where sending starts: the offset when they match (the hasher then holds the prefix), 0 otherwise.
    /// </summary>
    private long MatchPrefix(SourceEntry entry, SafeFileHandle handle, EntryVerdict resume, XxHash128 hasher, int chunkSize)
    {
        if (resume.Offset <= 0 || resume.Offset > entry.Size || resume.PrefixHash is not { Length: Protocol.ProtocolConstants.HashLength })
        {
            throw new Protocol.ProtocolException($"the receiver offered to resume '{entry.RelativePath}' at {resume.Offset} of {entry.Size} bytes");
        }

        using var buffer = _pool.Rent(chunkSize);
        for (long at = 0; at < resume.Offset;)
        {
            var length = (int)Math.Min(chunkSize, resume.Offset - at);
            var read = FileCalls.Read(handle, buffer.Array.AsSpan(0, length), at);
            if (read < length)
            {
                throw new IOException($"'{entry.FullPath}' shrank while it was being read");
            }

            hasher.Append(buffer.Array.AsSpan(0, length));
            at += length;
        }

        if (hasher.GetCurrentHash().AsSpan().SequenceEqual(resume.PrefixHash))
        {
            Interlocked.Add(ref _alreadyThere, resume.Offset);
            _progress.Credit(resume.Offset);
            return resume.Offset;
        }

        hasher.Reset();
        return 0;
    }

    private static bool SourceChanged(SourceEntry entry, SafeFileHandle handle)
        => RandomAccess.GetLength(handle) != entry.Size
            || UnixTime.ToNanoseconds(File.GetLastWriteTimeUtc(handle)) / 100 != entry.ModifiedUnixNanoseconds / 100;
}
