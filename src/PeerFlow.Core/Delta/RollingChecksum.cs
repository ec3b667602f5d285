using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PeerFlow.Delta;

/// <summary>
/// rsync's weak checksum of a block of <c>n</c> bytes: <c>a = Σ x[i]</c>, <c>b = Σ (n - i) x[i]</c>, both mod 2^16,
/// as <c>a | b &lt;&lt; 16</c>. It rolls: moving the window one byte costs a few additions, so the sender can look for
/// the receiver's blocks at every offset of its file.
/// </summary>
internal struct RollingChecksum
{
    private uint _a;
    private uint _b;
    private readonly uint _length;

    private RollingChecksum(uint a, uint b, int length)
    {
        _a = a;
        _b = b;
        _length = (uint)length;
    }

    public readonly uint Value => (_a & 0xFFFF) | (_b << 16);

    /// <summary>The checksum of <paramref name="block"/> (32 bytes at a time with AVX2; the sums wrap like the definition's).</summary>
    public static RollingChecksum Of(ReadOnlySpan<byte> block)
    {
        uint a = 0, b = 0;
        var n = (uint)block.Length;
        var i = 0;
        if (Avx2.IsSupported && block.Length >= 32)
        {
            // Per 32 bytes at offset k: a += S; b += (n - k) * S - Σ j * x[k + j], for j = 0..31.
            var weights = Vector256.Create((sbyte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
            var ones = Vector256.Create((short)1);
            ref var start = ref MemoryMarshal.GetReference(block);
            for (; i + 32 <= block.Length; i += 32)
            {
                var bytes = Vector256.LoadUnsafe(ref start, (nuint)i);
                var sums = Avx2.SumAbsoluteDifferences(bytes, Vector256<byte>.Zero).AsUInt64();
                var sum = (uint)(sums.GetElement(0) + sums.GetElement(1) + sums.GetElement(2) + sums.GetElement(3));
                var weighted = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(bytes, weights), ones);
                var w = (uint)Vector256.Sum(weighted);
                a += sum;
                b += ((n - (uint)i) * sum) - w;
            }
        }

        for (; i < block.Length; i++)
        {
            a += block[i];
            b += (n - (uint)i) * block[i];
        }

        return new RollingChecksum(a, b, block.Length);
    }

    /// <summary>Moves the window one byte on: <paramref name="leaving"/> was its first byte, <paramref name="entering"/> follows its last.</summary>
    public void Roll(byte leaving, byte entering)
    {
        _a += (uint)entering - leaving;
        _b += _a - (_length * leaving);
    }
}
