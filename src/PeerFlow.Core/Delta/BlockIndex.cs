using System.Buffers.Binary;
using System.Numerics;

namespace PeerFlow.Delta;

/// <summary>
/// The sender's lookup of a receiver's block signatures: weak checksum → blocks (open hashing with chains), then the
/// strong hash to confirm. Built once per file from the received signatures. A bit filter in front (about 32 bits per
/// block) answers "no block has this weak checksum" for all but a few percent of the offsets a scan tries.
/// </summary>
internal sealed class BlockIndex
{
    private readonly int[] _heads;
    private readonly int[] _next;
    private readonly uint[] _weak;
    private readonly ulong[] _strong;
    private readonly int _mask;
    private readonly ulong[] _filter;
    private readonly int _filterShift;

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
        var filterBits = (int)Math.Min(1 << 27, BitOperations.RoundUpToPowerOf2((uint)Math.Max(count, 1) * 32));
        filterBits = Math.Max(filterBits, 1 << 12);
        _filter = new ulong[filterBits / 64];
        _filterShift = 32 - BitOperations.Log2((uint)filterBits);
        // Inserted last to first, so a chain lists the earliest block first (runs of copies stay contiguous).
        for (var i = count - 1; i >= 0; i--)
        {
            var entry = signatures.Slice(i * DeltaSignatures.EntryLength, DeltaSignatures.EntryLength);
            _weak[i] = BinaryPrimitives.ReadUInt32LittleEndian(entry);
            _strong[i] = BinaryPrimitives.ReadUInt64LittleEndian(entry[4..]);
            var bit = WeakFilter.Bit(_weak[i], _filterShift);
            _filter[bit >> 6] |= 1UL << (int)bit;
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

    /// <summary>Whether some block could have weak checksum <paramref name="weak"/>: false means <see cref="Find"/> would return -1.</summary>
    public bool MayContain(uint weak) => Filter.MayContain(weak);

    /// <summary>The bit filter by itself, for a scan's inner loop.</summary>
    public WeakFilter Filter => new(_filter, _filterShift);

    private int Slot(uint weak) => (int)((weak ^ (weak >> 15) ^ (weak >> 27)) * 0x9E3779B1u >> 7) & _mask;
}

/// <summary>A <see cref="BlockIndex"/>'s bit filter: false from <see cref="MayContain"/> means no block has that weak checksum.</summary>
internal readonly struct WeakFilter(ulong[] bits, int shift)
{
    public bool MayContain(uint weak)
    {
        var bit = Bit(weak, shift);
        return (bits[bit >> 6] & (1UL << (int)bit)) != 0;
    }

    /// <summary>The filter bit of <paramref name="weak"/>: the top bits of a multiplicative hash (the filter has 2^(32 - shift) bits).</summary>
    public static uint Bit(uint weak, int shift) => (weak * 0x9E3779B1u) >> shift;
}
