using System.Buffers.Binary;
using System.Numerics;

namespace PeerFlow.Delta;

/// <summary>
/// The sender's lookup of a receiver's block signatures: weak checksum → blocks (open hashing with chains), then the
/// strong hash to confirm. Built once per file from the received signatures.
/// </summary>
internal sealed class BlockIndex
{
    private readonly int[] _heads;
    private readonly int[] _next;
    private readonly uint[] _weak;
    private readonly ulong[] _strong;
    private readonly int _mask;

    /// <summary>Builds the index; <paramref name="signatures"/> holds <see cref="DeltaSignatures.EntryLength"/> bytes per block.</summary>
    public BlockIndex(int blockSize, ReadOnlySpan<byte> signatures)
    {
        BlockSize = blockSize;
        var count = signatures.Length / DeltaSignatures.EntryLength;
        _weak = new uint[count];
        _strong = new ulong[count];
        _next = new int[count];
        _heads = new int[Math.Max(16, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(count, 1) * 2))];
        _mask = _heads.Length - 1;
        Array.Fill(_heads, -1);
        // Inserted last to first, so a chain lists the earliest block first (runs of copies stay contiguous).
        for (var i = count - 1; i >= 0; i--)
        {
            var entry = signatures.Slice(i * DeltaSignatures.EntryLength, DeltaSignatures.EntryLength);
            _weak[i] = BinaryPrimitives.ReadUInt32LittleEndian(entry);
            _strong[i] = BinaryPrimitives.ReadUInt64LittleEndian(entry[4..]);
            var slot = Slot(_weak[i]);
            _next[i] = _heads[slot];
            _heads[slot] = i;
        }
    }

    public int BlockSize { get; }

    public int Count => _weak.Length;

    /// <summary>
    /// The block whose content is <paramref name="window"/> (its weak checksum <paramref name="weak"/>), preferring
    /// <paramref name="preferred"/> (the block after the last match, so unchanged runs merge into one copy); -1 if none.
    /// </summary>
    public int Find(uint weak, ReadOnlySpan<byte> window, int preferred)
    {
        var block = _heads[Slot(weak)];
        if (block < 0)
        {
            return -1;
        }

        ulong? strong = null;
        if (preferred >= 0 && preferred < _weak.Length && _weak[preferred] == weak)
        {
            strong = System.IO.Hashing.XxHash3.HashToUInt64(window);
            if (_strong[preferred] == strong)
            {
                return preferred;
            }
        }

        for (; block >= 0; block = _next[block])
        {
            if (_weak[block] != weak)
            {
                continue;
            }

            strong ??= System.IO.Hashing.XxHash3.HashToUInt64(window);
            if (_strong[block] == strong)
            {
                return block;
            }
        }

        return -1;
    }

    private int Slot(uint weak) => (int)((weak ^ (weak >> 15) ^ (weak >> 27)) * 0x9E3779B1u >> 7) & _mask;
}
