using PeerFlow.Buffers;
using PeerFlow.Compression;
using PeerFlow.Testing;

namespace PeerFlow.Core.Tests;

/// <summary>
/// Property-based fuzzing of the LZ4 stage with what a hostile peer controls: the block and the announced length.
/// The property: a block decodes to exactly the announced length or fails with <see cref="InvalidDataException"/>,
/// the output never exceeds one chunk, and every buffer goes back to the pool. Longer run:
/// <c>PEERFLOW_FUZZ_ITERATIONS=1000000 PEERFLOW_FUZZ_SEED=3 dotnet test tests/PeerFlow.Core.Tests --filter Lz4Fuzz</c>.
/// </summary>
public sealed class Lz4FuzzTests
{
    private static readonly int Iterations = FuzzSettings.Iterations;
    private static readonly int Seed = FuzzSettings.Seed;

    [Test]
    public void MutatedAndRandomBlocks_DecodeExactlyOrFailCleanly_AndReturnTheirBuffers()
    {
        using var pool = new ChunkPool();
        var random = new Random(Seed);
        var text = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("PeerFlow moves files; LZ4 squeezes them. ", 400)));
        byte[] seed;
        using (var valid = ChunkCompressor.TryCompress(text, pool)!)
        {
            seed = valid.Span.ToArray();
        }

        for (var i = 0; i < Iterations; i++)
        {
            var block = i % 4 == 0 ? RandomBytes(random) : Mutate(seed, random);
            var announced = random.Next(3) switch { 0 => text.Length, 1 => random.Next(1, 64 * 1024), _ => random.Next(1, 16) };
            try
            {
                using var output = ChunkCompressor.Decompress(block, announced, pool);
                Assert.That(output.Length, Is.EqualTo(announced));
            }
            catch (InvalidDataException)
            {
            }
            catch (Exception ex) when (ex is not AssertionException)
            {
                Assert.Fail($"seed {Seed}, iteration {i}, announced {announced}: {ex.GetType().Name}: {ex.Message}\nblock: {Convert.ToHexString(block)}");
            }
        }

        Assert.That(pool.Outstanding, Is.Zero);
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = (byte[])seed.Clone();
        for (var m = 1 + random.Next(4); m > 0; m--)
        {
            bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
        }

        return random.Next(4) == 0 ? bytes[..random.Next(bytes.Length)] : bytes;
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(1, 256)];
        random.NextBytes(bytes);
        return bytes;
    }
}
