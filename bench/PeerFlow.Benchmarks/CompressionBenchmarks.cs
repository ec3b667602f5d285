using System.Text;

using BenchmarkDotNet.Attributes;

using PeerFlow.Buffers;
using PeerFlow.Compression;

namespace PeerFlow.Benchmarks;

/// <summary>
/// The compress stage on one 1 MiB chunk of log-like text and of random bytes: what a chunk costs when it shrinks,
/// and what the incompressibility probe saves when it does not.
/// </summary>
[MemoryDiagnoser]
public class CompressionBenchmarks
{
    private readonly ChunkPool _pool = new();
    private byte[] _text = [];
    private byte[] _random = [];
    private byte[] _compressedText = [];

    [GlobalSetup]
    public void Setup()
    {
        var builder = new StringBuilder();
        var random = new Random(3);
        while (builder.Length < 1 << 20)
        {
            builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"2026-11-23T12:{random.Next(60):D2}:{random.Next(60):D2}Z INFO request {random.Next(100000)} served in {random.Next(900)} ms by worker {random.Next(16)}\n");
        }

        _text = Encoding.ASCII.GetBytes(builder.ToString())[..(1 << 20)];
        _random = new byte[1 << 20];
        random.NextBytes(_random);
        using var compressed = ChunkCompressor.TryCompress(_text, _pool)!;
        _compressedText = compressed.Span.ToArray();
    }

    [Benchmark]
    public int CompressText()
    {
        using var result = ChunkCompressor.TryCompress(_text, _pool);
        return result?.Length ?? 0;
    }

    [Benchmark]
    public int CompressRandom_ProbeSkipsIt()
    {
        using var result = ChunkCompressor.TryCompress(_random, _pool);
        return result?.Length ?? 0;
    }

    [Benchmark]
    public int CompressRandom_WithoutProbe()
    {
        var target = new byte[K4os.Compression.LZ4.LZ4Codec.MaximumOutputSize(_random.Length)];
        return K4os.Compression.LZ4.LZ4Codec.Encode(_random, target, K4os.Compression.LZ4.LZ4Level.L00_FAST);
    }

    [Benchmark]
    public int DecompressText()
    {
        using var result = ChunkCompressor.Decompress(_compressedText, _text.Length, _pool);
        return result.Length;
    }
}
