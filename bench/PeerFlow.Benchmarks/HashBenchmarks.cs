using System.IO.Hashing;
using System.Security.Cryptography;

using BenchmarkDotNet.Attributes;

namespace PeerFlow.Benchmarks;

/// <summary>Per-file integrity hash candidates over one chunk. XXH128 is what PeerFlow uses.</summary>
[MemoryDiagnoser]
public class HashBenchmarks
{
    private byte[] _data = [];

    [Params(4 * 1024, 1024 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Size];
        new Random(1).NextBytes(_data);
    }

    [Benchmark(Baseline = true)]
    public UInt128 XxHash128Append()
    {
        var hash = new XxHash128();
        hash.Append(_data);
        return hash.GetCurrentHashAsUInt128();
    }

    [Benchmark]
    public ulong XxHash3Append()
    {
        var hash = new XxHash3();
        hash.Append(_data);
        return hash.GetCurrentHashAsUInt64();
    }

    [Benchmark]
    public byte[] Sha256() => SHA256.HashData(_data);

    [Benchmark]
    public uint Crc32() => System.IO.Hashing.Crc32.HashToUInt32(_data);
}
