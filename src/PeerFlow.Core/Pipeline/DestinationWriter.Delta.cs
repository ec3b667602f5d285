using PeerFlow.Delta;
using PeerFlow.Files;
using PeerFlow.Protocol;
using PeerFlow.Protocol.Messages;
using PeerFlow.Sync;

namespace PeerFlow.Pipeline;

/// <summary>
/// Delta transfers in <see cref="DestinationWriter"/>: a changed file big enough gets a <see cref="VerdictKind.Delta"/>
/// verdict, its old version is kept open as the basis, its block signatures are computed in the background (as many
/// files at a time as half the cores) and posted after the verdicts, and the sender's <see cref="BlockCopy"/> ranges
/// are read from the basis and written like data, in order, hashed with the rest. The new file replaces the old once
/// verified.
/// </summary>
internal sealed partial class DestinationWriter
{
    /// <summary>Files (old and new version) smaller than this are sent whole: a round trip for signatures is not worth it.</summary>
    internal const long DeltaMinimum = 64 * 1024;

    private const int SignaturesPerMessage = 65_536;

    /// <summary>Files signed at once: half the cores (signing runs at memory speed; more would starve the transfer itself).</summary>
    private static readonly SemaphoreSlim Signing = new(Math.Max(1, Environment.ProcessorCount / 2));

    private readonly List<IncomingFile> _toSign = [];

    /// <summary>Bytes of new files copied from the receiver's old versions (delta transfers).</summary>
    public long BytesCopied { get; private set; }

    /// <summary>Opens the old version as the basis of a delta; false (send it whole) when it cannot be used.</summary>
    private bool TryDelta(IncomingFile file, PathStatus existing, SyncPlan sync)
    {
        if (!sync.Request.Delta || sync.DryRun || existing.Size < DeltaMinimum || file.Entry.Size < DeltaMinimum || _open >= _options.MaxOpenFiles)
        {
            return false;
        }

        try
        {
            file.Basis = FileCalls.OpenReadNoFollow(file.FinalPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        file.BasisLength = existing.Size;
        _open++;
        _toSign.Add(file);
        return true;
    }

    /// <summary>After a batch's verdicts are out: computes and posts the signatures of its delta files in the background.</summary>
    private void StartSigning()
    {
        foreach (var file in _toSign)
        {
            var basis = file.Basis!;
            var added = false;
            basis.DangerousAddRef(ref added);
            var id = file.Entry.Id;
            var length = file.BasisLength;
            var post = _verdicts!;
            _ = Task.Run(async () =>
            {
                var blockSize = DeltaSignatures.BlockSizeFor(length);
                await Signing.WaitAsync().ConfigureAwait(false);
                try
                {
                    DeltaSignatures.Compute(basis, length, blockSize, SignaturesPerMessage, (blocks, last) => post(new BlockSignatures { Id = id, BlockSize = blockSize, Blocks = blocks, Final = last }), CancellationToken.None);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
                {
                    // Nothing to match against: the sender sends the whole file (its hash still decides).
                    post(new BlockSignatures { Id = id, BlockSize = blockSize, Final = true });
                }
                finally
                {
                    Diagnostics.PhaseTrace.Mark($"signed, file {id}");
                    Signing.Release();
                    basis.DangerousRelease();
                }
            });
        }

        _toSign.Clear();
    }

    /// <summary>A range of the new file that is the same as the old one's: read from the basis, written and hashed like data.</summary>
    public void Copy(BlockCopy copy)
    {
        if (!_pending.TryGetValue(copy.Id, out var file) || (file.Basis is null && !file.Discard) || file.BasisLength == 0)
        {
            throw new ProtocolException($"a block copy for file id {copy.Id}, which is not declared, already finished, or not a delta");
        }

        if (copy.Length <= 0 || copy.BasisOffset < 0 || copy.BasisOffset > file.BasisLength - copy.Length
            || copy.Offset != file.Frontier || copy.Offset != file.Received || copy.Offset > file.Entry.Size - copy.Length)
        {
            throw new ProtocolException($"a block copy for '{file.DisplayPath}' of {copy.Length} bytes from {copy.BasisOffset} to {copy.Offset} does not fit (its old version has {file.BasisLength} bytes, {file.Frontier} of the new one are in place)");
        }

        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(1024 * 1024, copy.Length));
        try
        {
            for (long done = 0; done < copy.Length;)
            {
                var length = (int)Math.Min(buffer.Length, copy.Length - done);
                file.Received += length;
                if (!file.Discard)
                {
                    CopyPiece(file, buffer.AsSpan(0, length), copy.BasisOffset + done, copy.Offset + done);
                }

                done += length;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        BytesCopied += copy.Length;
        if (file.Discard)
        {
            file.Frontier = file.Received;
        }
    }

    private void CopyPiece(IncomingFile file, Span<byte> buffer, long from, long to)
    {
        try
        {
            if (FileCalls.Read(file.Basis!, buffer, from) < buffer.Length)
            {
                Discard(file, "its old version shrank while the new one was built from it");
                return;
            }

            EnsureOpen(file);
            Append(file, buffer, to);
            _progress.AddBytes(buffer.Length);
        }
        catch (IOException ex) when (FileCalls.IsDiskFull(ex))
        {
            throw new IOException($"the receiver's disk is full: cannot write '{file.DisplayPath}' ({ex.Message})", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Discard(file, $"cannot build it from its old version: {ex.Message}");
        }
    }

    private void CloseBasis(IncomingFile file)
    {
        if (file.Basis is not null)
        {
            file.Basis.Dispose();
            file.Basis = null;
            _open--;
        }
    }
}
