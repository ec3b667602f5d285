using System.Text;

using PeerFlow.Buffers;
using PeerFlow.Compression;

namespace PeerFlow.Core.Tests;

public sealed class ChunkCompressorTests
{
    [Test]
    public void CompressibleChunk_ShrinksAndRoundTrips()
    {
        using var pool = new ChunkPool();
        var text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"line {i % 50} of the log\n")));
        using var compressed = ChunkCompressor.TryCompress(text, pool);
        Assert.That(compressed, Is.Not.Null);
        Assert.That(compressed!.Length, Is.LessThan(text.Length / 2));
        using var plain = ChunkCompressor.Decompress(compressed.Span, text.Length, pool);
        Assert.That(plain.Span.ToArray(), Is.EqualTo(text));
    }

    [Test]
    public void HigherLevel_IsSmallerOnTheSameData_AndStillRoundTrips()
    {
        using var pool = new ChunkPool();
        var random = new Random(7);
        var text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(_ => $"event {random.Next(1000)} at {random.Next(100000)} ok\n")));
        using var fast = ChunkCompressor.TryCompress(text, pool, level: 0);
        using var high = ChunkCompressor.TryCompress(text, pool, level: 9);
        Assert.That(high!.Length, Is.LessThan(fast!.Length));
        using var plain = ChunkCompressor.Decompress(high.Span, text.Length, pool);
        Assert.That(plain.Span.ToArray(), Is.EqualTo(text));
    }

    [Test]
    public void ChunkUnderTheRawThreshold_IsSentRaw()
    {
        using var pool = new ChunkPool();
        var text = Encoding.ASCII.GetBytes(new string('a', 4096));
        Assert.That(ChunkCompressor.TryCompress(text, pool, rawBelow: 8192), Is.Null);
        using var compressed = ChunkCompressor.TryCompress(text, pool, rawBelow: 4096);
        Assert.That(compressed, Is.Not.Null);
    }

    [Test]
    public void RandomChunk_IsSentRaw()
    {
        using var pool = new ChunkPool();
        var data = new byte[1 << 20];
        new Random(5).NextBytes(data);
        Assert.That(ChunkCompressor.TryCompress(data, pool), Is.Null);
        Assert.That(pool.Outstanding, Is.Zero);
    }

    [Test]
    public void BlockThatExpandsPastTheAnnouncedLength_IsRejected_NotAllocated()
    {
        // An "LZ4 bomb": a tiny block that decodes to far more than announced must fail, not grow a buffer.
        using var pool = new ChunkPool();
        var zeros = new byte[1 << 20];
        using var compressed = ChunkCompressor.TryCompress(zeros, pool)!;
        Assert.Throws<InvalidDataException>(() => ChunkCompressor.Decompress(compressed.Span, 1000, pool));
        Assert.That(pool.Outstanding, Is.EqualTo(1), "only the compressed block is still out");
    }

    [Test]
    public void GarbageBlock_IsRejected()
    {
        using var pool = new ChunkPool();
        var garbage = new byte[500];
        new Random(1).NextBytes(garbage);
        Assert.Throws<InvalidDataException>(() => ChunkCompressor.Decompress(garbage, 4096, pool));
        Assert.That(pool.Outstanding, Is.Zero);
    }
}
