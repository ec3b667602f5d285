using System.IO.Hashing;

using PeerFlow.Buffers;
using PeerFlow.Delta;
using PeerFlow.Testing;

namespace PeerFlow.Core.Tests;

/// <summary>rsync's algorithm on its own: signatures of a basis, the scan of a new version, and the rebuilt file.</summary>
public sealed class DeltaTests : FileSystemTest
{
    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Runs a delta of <paramref name="target"/> against <paramref name="basis"/>; returns the rebuilt file and the literal bytes.</summary>
    private (byte[] Rebuilt, long Literal, long Steps) Delta(byte[] basis, byte[] target, int chunk = 1 << 20)
    {
        var basisPath = Dir.Combine("basis");
        var targetPath = Dir.Combine("target");
        File.WriteAllBytes(basisPath, basis);
        File.WriteAllBytes(targetPath, target);
        var blockSize = DeltaSignatures.BlockSizeFor(basis.Length);
        var signatures = new List<byte>();
        var finals = 0;
        using (var handle = File.OpenHandle(basisPath))
        {
            DeltaSignatures.Compute(handle, basis.Length, blockSize, 1000, (part, last) =>
            {
                signatures.AddRange(part);
                finals += last ? 1 : 0;
            }, CancellationToken.None);
        }

        Assert.That(finals, Is.EqualTo(1), "exactly one last part");
        Assert.That(signatures, Has.Count.EqualTo(basis.Length / blockSize * DeltaSignatures.EntryLength));
        using var pool = new ChunkPool();
        var hasher = new XxHash128();
        var rebuilt = new MemoryStream();
        long literal = 0, steps = 0;
        using (var handle = File.OpenHandle(targetPath))
        using (var scanner = new DeltaScanner(handle, target.Length, new BlockIndex(blockSize, signatures.ToArray()), pool, chunk, hasher))
        {
            while (scanner.Next() is { } step)
            {
                steps++;
                Assert.That(step.Offset, Is.EqualTo(rebuilt.Length), "steps cover the file in order");
                if (step.Literal is { } data)
                {
                    Assert.That(data.Length, Is.InRange(1, chunk));
                    rebuilt.Write(data.Span);
                    literal += data.Length;
                    data.Dispose();
                }
                else
                {
                    rebuilt.Write(basis, (int)step.BasisOffset, (int)step.CopyLength);
                }
            }

            Assert.That(scanner.LiteralBytes, Is.EqualTo(literal));
        }

        Assert.That(hasher.GetCurrentHash(), Is.EqualTo(XxHash128.Hash(target)), "the scanner hashes the new file in order");
        Assert.That(pool.Outstanding, Is.Zero);
        return (rebuilt.ToArray(), literal, steps);
    }

    [Test]
    public void AnUnchangedFile_IsOneCopy_ExceptItsShortTail()
    {
        var basis = Random(5_000_000, 1);
        var (rebuilt, literal, _) = Delta(basis, basis);
        Assert.That(rebuilt, Is.EqualTo(basis));
        Assert.That(literal, Is.LessThan(DeltaSignatures.BlockSizeFor(basis.Length)));
    }

    [Test]
    public void AnEditInTheMiddle_SendsLittleMoreThanTheEdit()
    {
        var basis = Random(8_000_000, 2);
        var target = (byte[])basis.Clone();
        Random(100_000, 3).CopyTo(target, 4_000_000);
        var (rebuilt, literal, _) = Delta(basis, target);
        Assert.That(rebuilt, Is.EqualTo(target));
        Assert.That(literal, Is.LessThan(100_000 + (3 * DeltaSignatures.BlockSizeFor(basis.Length))));
    }

    [Test]
    public void AnInsertionNearTheStart_ShiftsNothing()
    {
        var basis = Random(8_000_000, 4);
        var target = basis.Take(1000).Concat(Random(100, 5)).Concat(basis.Skip(1000)).ToArray();
        var (rebuilt, literal, steps) = Delta(basis, target);
        Assert.That(rebuilt, Is.EqualTo(target));
        Assert.That(literal, Is.LessThan(100 + (2 * DeltaSignatures.BlockSizeFor(basis.Length))));
        Assert.That(steps, Is.LessThan(6), "the blocks after the insertion merge into one copy");
    }

    [Test]
    public void ADeletion_AnAppend_AndATruncation_AllRebuildExactly()
    {
        var basis = Random(3_000_000, 6);
        var deleted = basis.Take(500_000).Concat(basis.Skip(500_777)).ToArray();
        var appended = basis.Concat(Random(12_345, 7)).ToArray();
        var truncated = basis.Take(1_234_567).ToArray();
        foreach (var target in new[] { deleted, appended, truncated })
        {
            var (rebuilt, literal, _) = Delta(basis, target);
            Assert.That(rebuilt, Is.EqualTo(target));
            Assert.That(literal, Is.LessThan(20_000));
        }
    }

    [Test]
    public void UnrelatedContent_IsAllLiteral_InChunks()
    {
        var basis = Random(2_000_000, 8);
        var target = Random(2_500_000, 9);
        var (rebuilt, literal, steps) = Delta(basis, target, chunk: 256 * 1024);
        Assert.That(rebuilt, Is.EqualTo(target));
        Assert.That(literal, Is.EqualTo(target.Length));
        Assert.That(steps, Is.EqualTo((target.Length + (256 * 1024) - 1) / (256 * 1024)));
    }

    [TestCase(1 << 20)]
    [TestCase(100_000)]
    public void NewStretches_BetweenOldOnes_AcrossReadsAndChunks_SendOnlyTheNewBytes(int chunk)
    {
        // Old blocks at unaligned offsets between stretches of new bytes, the file longer than the scanner's 4 MiB
        // reads and the stretches longer than a chunk: every old range is found wherever the window is when it starts.
        var basis = Random(6_000_000, 12);
        var fresh = Random(3_000_000, 13);
        var target = fresh.AsSpan(0, 1_234_567).ToArray()
            .Concat(basis.AsSpan(777_777, 2_000_000).ToArray())
            .Concat(fresh.AsSpan(1_234_567, 1_500_001).ToArray())
            .Concat(basis.AsSpan(3_000_001, 1_700_000).ToArray())
            .Concat(fresh.AsSpan(2_734_568, 99).ToArray())
            .Concat(basis.AsSpan(5_000_000, 1_000_000).ToArray())
            .ToArray();
        var (rebuilt, literal, _) = Delta(basis, target, chunk);
        Assert.That(rebuilt, Is.EqualTo(target));
        var block = DeltaSignatures.BlockSizeFor(basis.Length);
        Assert.That(literal, Is.InRange(1_234_567 + 1_500_001 + 99, 1_234_567 + 1_500_001 + 99 + (6 * block)));
    }

    [Test]
    public void RepeatedBlocks_AndATinyOrEmptyTarget_Work()
    {
        var block = Random(4096, 10);
        var basis = Enumerable.Repeat(block, 300).SelectMany(b => b).ToArray();
        var target = Enumerable.Repeat(block, 200).SelectMany(b => b).Concat(Random(10, 11)).ToArray();
        Assert.That(Delta(basis, target).Rebuilt, Is.EqualTo(target));
        Assert.That(Delta(basis, Random(10, 12)).Rebuilt, Has.Length.EqualTo(10));
        Assert.That(Delta(basis, []).Rebuilt, Is.Empty);
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(31)]
    [TestCase(32)]
    [TestCase(33)]
    [TestCase(2048)]
    [TestCase(65_539)]
    public void WeakChecksum_IsTheDefinition_AndRollsToTheNextWindowsValue(int length)
    {
        var data = Random(length + 1, length);
        uint a = 0, b = 0;
        for (var i = 0; i < length; i++)
        {
            a += data[i];
            b += (uint)(length - i) * data[i];
        }

        var weak = RollingChecksum.Of(data.AsSpan(0, length));
        Assert.That(weak.Value, Is.EqualTo((a & 0xFFFF) | (b << 16)));
        if (length > 0)
        {
            weak.Roll(data[0], data[length]);
            Assert.That(weak.Value, Is.EqualTo(RollingChecksum.Of(data.AsSpan(1, length)).Value));
        }
    }

    [TestCase(0L, 2048)]
    [TestCase(1L << 20, 2048)]
    [TestCase(1L << 30, 32768)]
    [TestCase(1L << 40, 262144)]
    [TestCase(1L << 42, 524288)]
    public void BlockSize_IsAboutTheSquareRoot_WithinBounds(long length, int expected)
        => Assert.That(DeltaSignatures.BlockSizeFor(length), Is.EqualTo(expected));
}
