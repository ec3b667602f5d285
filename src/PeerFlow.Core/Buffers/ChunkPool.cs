using System.Buffers;

namespace PeerFlow.Buffers;

/// <summary>
/// Hands out chunk buffers for one transfer and knows which are still out. Every path returns what it rented
/// (<see cref="ChunkBuffer.Dispose"/>); when a pipeline faults, blocks drop queued messages, so the owner calls
/// <see cref="ReclaimAll"/> once every block has completed to return whatever was dropped.
/// </summary>
public sealed class ChunkPool : IDisposable
{
    private readonly ArrayPool<byte> _arrays;
    private readonly HashSet<ChunkBuffer> _outstanding = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _lock = new();
    private long _rented;
    private long _returned;

    public ChunkPool(ArrayPool<byte>? arrays = null) => _arrays = arrays ?? ArrayPool<byte>.Shared;

    /// <summary>Buffers rented and not yet returned.</summary>
    public int Outstanding
    {
        get
        {
            lock (_lock)
            {
                return _outstanding.Count;
            }
        }
    }

    public long TotalRented => Interlocked.Read(ref _rented);

    public long TotalReturned => Interlocked.Read(ref _returned);

    /// <summary>Rents a buffer whose <see cref="ChunkBuffer.Length"/> is <paramref name="length"/>.</summary>
    public ChunkBuffer Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var buffer = new ChunkBuffer(this, _arrays.Rent(Math.Max(length, 1)), length);
        lock (_lock)
        {
            _outstanding.Add(buffer);
        }

        Interlocked.Increment(ref _rented);
        return buffer;
    }

    internal void Return(ChunkBuffer buffer, byte[] array)
    {
        bool removed;
        lock (_lock)
        {
            removed = _outstanding.Remove(buffer);
        }

        if (removed)
        {
            Interlocked.Increment(ref _returned);
            _arrays.Return(array);
        }
    }

    /// <summary>Returns every buffer still out. Only safe once nothing can touch them any more.</summary>
    public int ReclaimAll()
    {
        ChunkBuffer[] left;
        lock (_lock)
        {
            left = [.. _outstanding];
        }

        foreach (var buffer in left)
        {
            buffer.Dispose();
        }

        return left.Length;
    }

    public void Dispose() => ReclaimAll();
}

/// <summary>A pooled byte buffer with a used length. Dispose returns it; disposing twice is harmless.</summary>
public sealed class ChunkBuffer : IDisposable
{
    private readonly ChunkPool _pool;
    private byte[]? _array;

    internal ChunkBuffer(ChunkPool pool, byte[] array, int length)
    {
        _pool = pool;
        _array = array;
        Length = length;
    }

    /// <summary>Bytes in use, starting at index 0.</summary>
    public int Length { get; set; }

    public byte[] Array => _array ?? throw new ObjectDisposedException(nameof(ChunkBuffer));

    public int Capacity => Array.Length;

    public Span<byte> Span => Array.AsSpan(0, Length);

    public Memory<byte> Memory => Array.AsMemory(0, Length);

    public void Dispose()
    {
        var array = Interlocked.Exchange(ref _array, null);
        if (array is not null)
        {
            _pool.Return(this, array);
        }
    }
}
