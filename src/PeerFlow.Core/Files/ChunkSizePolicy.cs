namespace PeerFlow.Files;

/// <summary>
/// How big the chunks of a file are. A file up to <see cref="MaxChunk"/> travels as one chunk (one read, one
/// frame, one write); larger files are cut into chunks that grow with the file from <see cref="MinChunk"/> to
/// <see cref="MaxChunk"/>. bench/RESULTS.md has the measurements behind the defaults.
/// </summary>
public sealed class ChunkSizePolicy
{
    public const int DefaultMinChunk = 256 * 1024;
    public const int DefaultMaxChunk = 1024 * 1024;

    private ChunkSizePolicy(int min, int max)
    {
        MinChunk = min;
        MaxChunk = max;
    }

    /// <summary>The measured default.</summary>
    public static ChunkSizePolicy Default { get; } = new(DefaultMinChunk, DefaultMaxChunk);

    public int MinChunk { get; }

    public int MaxChunk { get; }

    /// <summary>Every chunk exactly <paramref name="size"/> bytes (the last one of a file shorter).</summary>
    public static ChunkSizePolicy Fixed(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 4096);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, Protocol.ProtocolConstants.MaxChunkSize);
        return new ChunkSizePolicy(size, size);
    }

    /// <summary>Chunk size for a file of <paramref name="fileSize"/> bytes.</summary>
    public int ChunkFor(long fileSize)
    {
        if (fileSize <= MaxChunk && MinChunk != MaxChunk)
        {
            return (int)Math.Max(fileSize, 1);
        }

        // Grow linearly from MinChunk at MaxChunk-sized files to MaxChunk at 64 x MaxChunk, rounded to 4 KiB.
        var span = 63L * MaxChunk;
        var scaled = MinChunk + ((MaxChunk - MinChunk) * Math.Min(fileSize - MaxChunk, span) / span);
        return (int)Math.Clamp(scaled & ~4095L, MinChunk, MaxChunk);
    }
}
