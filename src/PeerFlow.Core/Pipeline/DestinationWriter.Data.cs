using System.Buffers;

using PeerFlow.Buffers;
using PeerFlow.Files;
using PeerFlow.Protocol;

namespace PeerFlow.Pipeline;

/// <summary>
/// The data path of <see cref="DestinationWriter"/>: chunks written at their offsets and hashed in file order. With
/// several streams a chunk may arrive before the ones ahead of it in its file; it waits in the file's
/// <see cref="ChunkReassembly"/> (in memory within <see cref="HoldLimit"/>, otherwise written and read back later).
/// </summary>
internal sealed partial class DestinationWriter
{
    /// <summary>Most bytes of early chunks the transfer keeps in memory; beyond it they are written and read back.</summary>
    internal const long HoldLimit = 64L * 1024 * 1024;

    private long _held;

    /// <summary>Writes one chunk; takes ownership of its buffer.</summary>
    public void Write(ReceivedChunk chunk)
    {
        var data = chunk.Data;
        try
        {
            if (!Accept(chunk, out var file))
            {
                return;
            }

            if (Store(file, chunk.Offset, data))
            {
                data = null;
            }
        }
        finally
        {
            data?.Dispose();
        }
    }

    /// <summary>Checks a chunk against its file; false when its data is dropped (the file is discarded or aborted).</summary>
    private bool Accept(ReceivedChunk chunk, out IncomingFile file)
    {
        if (!_pending.TryGetValue(chunk.FileId, out file!))
        {
            if (MultiStream && _aborted.Contains(chunk.FileId))
            {
                return false;
            }

            throw new ProtocolException($"data for file id {chunk.FileId}, which is not declared or already finished");
        }

        var length = chunk.Data.Length;
        if (file.ResumeOffset > 0 && file.Received == 0)
        {
            ResumeOrRestart(file, chunk.Offset);
        }

        // With several streams a discarded file's chunks are only counted: their order no longer matters.
        var checkOrder = !(file.Discard && MultiStream);
        if (checkOrder && (chunk.Offset < file.Frontier || (!MultiStream && chunk.Offset != file.Frontier)))
        {
            throw new ProtocolException($"data for '{file.DisplayPath}' at offset {chunk.Offset}, expected {file.Frontier} (gap or overlap)");
        }

        if (chunk.Offset + length > file.Entry.Size || file.Received + length > file.Entry.Size)
        {
            throw new ProtocolException($"more data for '{file.DisplayPath}' than the {file.Entry.Size} bytes announced");
        }

        if (checkOrder && chunk.Offset > file.Frontier && file.Ahead?.IsFree(chunk.Offset, length) == false)
        {
            throw new ProtocolException($"data for '{file.DisplayPath}' at offset {chunk.Offset} overlaps data already received");
        }

        file.Received += length;
        if (!file.Discard)
        {
            return true;
        }

        // Dropped, but counted: the file's end is checked against what was sent.
        file.Frontier = file.Received;
        FinishIfComplete(file);
        return false;
    }

    /// <summary>Writes (or holds) an accepted chunk; true when the buffer was kept.</summary>
    private bool Store(IncomingFile file, long offset, ChunkBuffer data)
    {
        var kept = false;
        try
        {
            EnsureOpen(file);
            if (offset == file.Frontier)
            {
                Append(file, data.Span, offset);
                DrainAhead(file);
            }
            else if (_held + data.Length <= _options.ReorderMemory)
            {
                (file.Ahead ??= new ChunkReassembly()).Hold(offset, data);
                _held += data.Length;
                kept = true;
            }
            else
            {
                FileCalls.Write(file.Handle!, data.Span, offset);
                (file.Ahead ??= new ChunkReassembly()).Spilled(offset, data.Length);
            }

            _progress.AddBytes(data.Length);
        }
        catch (IOException ex) when (FileCalls.IsDiskFull(ex))
        {
            // Every file after this one would fail the same way: stop the transfer, keep what arrived for a resume.
            throw new IOException($"the receiver's disk is full: cannot write '{file.DisplayPath}' ({ex.Message})", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Discard(file, $"cannot write: {ex.Message}");
            _held -= file.Ahead?.Release() ?? 0;
            file.Frontier = file.Received;
        }

        FinishIfComplete(file);
        return kept;
    }

    /// <summary>Writes and hashes bytes that continue the file exactly where its hashed part ends.</summary>
    private static void Append(IncomingFile file, ReadOnlySpan<byte> data, long offset)
    {
        FileCalls.Write(file.Handle!, data, offset);
        file.Hasher.Append(data);
        file.Frontier = offset + data.Length;
    }

    /// <summary>Moves the hashed part over every early chunk that now continues it.</summary>
    private void DrainAhead(IncomingFile file)
    {
        if (file.Ahead is not { } ahead)
        {
            return;
        }

        while (ahead.TryTake(file.Frontier, out var data, out var length))
        {
            if (data is not null)
            {
                using (data)
                {
                    _held -= length;
                    Append(file, data.Span, file.Frontier);
                }

                continue;
            }

            // Written earlier, when memory for early chunks ran out: read it back (from the page cache) to hash it.
            var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(length, 1024 * 1024));
            try
            {
                for (var done = 0; done < length;)
                {
                    var read = FileCalls.Read(file.Handle!, buffer.AsSpan(0, Math.Min(buffer.Length, length - done)), file.Frontier);
                    if (read <= 0)
                    {
                        throw new IOException($"'{file.DisplayPath}' lost data it had written");
                    }

                    file.Hasher.Append(buffer.AsSpan(0, read));
                    file.Frontier += read;
                    done += read;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>With several streams: finishes a file whose end arrived first, once its last byte is in.</summary>
    private void FinishIfComplete(IncomingFile file)
    {
        if (file.End is { } end && file.Received == file.Entry.Size && (file.Discard || file.Frontier == file.Received))
        {
            FinishNow(file, end);
            if (_transferEnd is not null && _pending.Count == 0)
            {
                CompleteNow();
            }
        }
    }

    /// <summary>After a failure, a partial file kept for resuming must be exactly its verified start: nothing written ahead of it.</summary>
    private static void KeepHashedPart(IncomingFile file)
    {
        if (file.Handle is not null && file.Ahead is { HasSpilled: true })
        {
            RandomAccess.SetLength(file.Handle, file.Frontier);
        }
    }
}
