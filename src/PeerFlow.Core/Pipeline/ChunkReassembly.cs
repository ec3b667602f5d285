using PeerFlow.Buffers;

namespace PeerFlow.Pipeline;

/// <summary>
/// The chunks of one file that arrived ahead of the point up to which it is written and hashed: with several data
/// streams, a later chunk can overtake an earlier one. Each is kept in memory while the transfer's budget allows, or
/// written at its offset and read back when its turn comes (spilled), so a stream that lags never makes the receiver
/// stop reading the others (which could deadlock two files waiting on each other's streams).
/// </summary>
internal sealed class ChunkReassembly
{
    private readonly SortedDictionary<long, (ChunkBuffer? Data, int Length)> _chunks = [];

    /// <summary>Some chunk was written to the file ahead of the hashed part.</summary>
    public bool HasSpilled { get; private set; }

    /// <summary>
    /// Whether [<paramref name="offset"/>, +<paramref name="length"/>) overlaps nothing held. Chunks are at most a few
    /// MiB and few are ahead at once, so a scan is cheaper than an interval tree.
    /// </summary>
    public bool IsFree(long offset, int length)
    {
        foreach (var (start, chunk) in _chunks)
        {
            if (start < offset + length && offset < start + chunk.Length)
            {
                return false;
            }

            if (start >= offset + length)
            {
                break;
            }
        }

        return !_chunks.ContainsKey(offset);
    }

    /// <summary>Keeps <paramref name="data"/> (now owned here) until the file reaches <paramref name="offset"/>.</summary>
    public void Hold(long offset, ChunkBuffer data) => _chunks.Add(offset, (data, data.Length));

    /// <summary>Remembers that <paramref name="length"/> bytes at <paramref name="offset"/> are in the file but not hashed yet.</summary>
    public void Spilled(long offset, int length)
    {
        _chunks.Add(offset, (null, length));
        HasSpilled = true;
    }

    /// <summary>Takes the chunk that starts at <paramref name="offset"/>, if there is one: its data, or null when it was spilled.</summary>
    public bool TryTake(long offset, out ChunkBuffer? data, out int length)
    {
        if (_chunks.Remove(offset, out var chunk))
        {
            (data, length) = chunk;
            return true;
        }

        (data, length) = (null, 0);
        return false;
    }

    /// <summary>Returns every buffer still held; the result is how many bytes they held.</summary>
    public long Release()
    {
        long released = 0;
        foreach (var (_, chunk) in _chunks)
        {
            if (chunk.Data is { } data)
            {
                released += chunk.Length;
                data.Dispose();
            }
        }

        _chunks.Clear();
        return released;
    }
}
