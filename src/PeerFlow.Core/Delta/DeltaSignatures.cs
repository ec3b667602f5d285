using System.Buffers.Binary;
using System.IO.Hashing;

using Microsoft.Win32.SafeHandles;

using PeerFlow.Files;

namespace PeerFlow.Delta;

/// <summary>
/// The signatures of a file's full blocks, as a receiver sends them for a delta transfer: per block 12 bytes, the
/// weak rolling checksum (<see cref="RollingChecksum"/>, 4 bytes little-endian) and XXH3-64 (8 bytes little-endian).
/// A last block shorter than the block size has no signature: those bytes are always sent.
/// </summary>
internal static class DeltaSignatures
{
    /// <summary>Bytes of one block's signature.</summary>
    public const int EntryLength = 12;

    /// <summary>Smallest and largest block sizes a peer may use.</summary>
    public const int MinBlockSize = 512;

    public const int MaxBlockSize = 4 * 1024 * 1024;

    /// <summary>Most blocks one file's signatures may have (the sender holds them all: about 20 bytes each).</summary>
    public const long MaxBlocks = 8L * 1024 * 1024;

    /// <summary>
    /// The block size for a basis of <paramref name="length"/> bytes: about its square root (as rsync), between 2 KiB
    /// and 256 KiB, in whole KiB, and large enough to stay within <see cref="MaxBlocks"/>. A 1 GiB file gets 32 KiB
    /// blocks (32,768 signatures, 384 KiB): a change anywhere costs at most about two blocks beyond itself.
    /// </summary>
    public static int BlockSizeFor(long length)
    {
        var root = (long)Math.Sqrt(length);
        var size = Math.Clamp(root, 2048, 256 * 1024);
        size = Math.Max(size, (length + MaxBlocks - 1) / MaxBlocks);
        return (int)Math.Min(MaxBlockSize, (size + 1023) / 1024 * 1024);
    }

    /// <summary>Computes the signatures of <paramref name="handle"/>'s first <paramref name="length"/> bytes, handing them out <paramref name="perPart"/> blocks at a time.</summary>
    public static void Compute(SafeFileHandle handle, long length, int blockSize, int perPart, Action<byte[], bool> part, CancellationToken cancellationToken)
    {
        var blocks = length / blockSize;
        // 256 KiB (whole blocks, at least one) per read, never more than the file's blocks: a small buffer is one the pool
        // already has, and fresh memory costs a page fault per page.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(blockSize * (int)Math.Clamp(blocks, 1, Math.Max(1, 256 * 1024 / blockSize)));
        try
        {
            var perRead = buffer.Length / blockSize;
            var output = new byte[(int)Math.Min(perPart, blocks) * EntryLength];
            var inPart = 0;
            for (long block = 0; block < blocks;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = (int)Math.Min(perRead, blocks - block);
                var read = FileCalls.Read(handle, buffer.AsSpan(0, count * blockSize), block * blockSize);
                if (read < count * blockSize)
                {
                    throw new IOException("the file shrank while its signatures were computed");
                }

                for (var i = 0; i < count; i++)
                {
                    var data = buffer.AsSpan(i * blockSize, blockSize);
                    var entry = output.AsSpan(inPart * EntryLength, EntryLength);
                    BinaryPrimitives.WriteUInt32LittleEndian(entry, RollingChecksum.Of(data).Value);
                    BinaryPrimitives.WriteUInt64LittleEndian(entry[4..], XxHash3.HashToUInt64(data));
                    if (++inPart == perPart)
                    {
                        var last = block + i + 1 == blocks;
                        part(output, last);
                        inPart = 0;
                        output = last ? [] : new byte[(int)Math.Min(perPart, blocks - (block + i + 1)) * EntryLength];
                    }
                }

                block += count;
            }

            if (inPart > 0 || blocks == 0)
            {
                part(output, true);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
