using K4os.Compression.LZ4;

using PeerFlow.Buffers;

namespace PeerFlow.Compression;

/// <summary>
/// LZ4 per chunk. A chunk is sent compressed only when that saves at least 1/16 of it; to avoid spending a full
/// compression pass on data that will not shrink (media, archives, encrypted files), a small sample from the middle
/// of a large chunk is tried first.
/// </summary>
public static class ChunkCompressor
{
    private const int SampleSize = 16 * 1024;
    private const int SampleThreshold = 128 * 1024;

    /// <summary>The smallest chunk worth compressing by default; smaller ones are sent raw.</summary>
    public const int DefaultRawBelow = 64;

    /// <summary>
    /// Tries to compress <paramref name="source"/> at LZ4 <paramref name="level"/> (0 fast, 3-12 high compression).
    /// Returns a new buffer holding the LZ4 block when it is worth it, otherwise <see langword="null"/> (send raw):
    /// chunks under <paramref name="rawBelow"/> bytes, incompressible ones, and any that would not shrink by 1/16.
    /// </summary>
    public static ChunkBuffer? TryCompress(ReadOnlySpan<byte> source, ChunkPool pool, int level = 0, int rawBelow = DefaultRawBelow)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (source.Length < Math.Max(rawBelow, 1))
        {
            return null;
        }

        if (source.Length >= SampleThreshold && !SampleShrinks(source))
        {
            return null;
        }

        var limit = source.Length - (source.Length >> 4);
        var target = pool.Rent(LZ4Codec.MaximumOutputSize(source.Length));
        var written = LZ4Codec.Encode(source, target.Array, (LZ4Level)level);
        if (written <= 0 || written > limit)
        {
            target.Dispose();
            return null;
        }

        target.Length = written;
        return target;
    }

    /// <summary>Decodes one LZ4 block into exactly <paramref name="originalLength"/> bytes.</summary>
    /// <exception cref="InvalidDataException">The block is corrupt or does not decode to the announced length.</exception>
    public static ChunkBuffer Decompress(ReadOnlySpan<byte> block, int originalLength, ChunkPool pool)
    {
        var target = pool.Rent(originalLength);
        int decoded;
        try
        {
            decoded = LZ4Codec.Decode(block, target.Array.AsSpan(0, originalLength));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            target.Dispose();
            throw new InvalidDataException("corrupt LZ4 block", ex);
        }

        if (decoded != originalLength)
        {
            target.Dispose();
            throw new InvalidDataException($"LZ4 block decodes to {(decoded < 0 ? "garbage" : decoded + " bytes")}, {originalLength} were announced");
        }

        return target;
    }

    private static bool SampleShrinks(ReadOnlySpan<byte> source)
    {
        var sample = source.Slice((source.Length - SampleSize) / 2, SampleSize);
        Span<byte> scratch = stackalloc byte[LZ4Codec.MaximumOutputSize(SampleSize)];
        var written = LZ4Codec.Encode(sample, scratch, LZ4Level.L00_FAST);
        return written > 0 && written <= SampleSize - (SampleSize >> 3);
    }
}
