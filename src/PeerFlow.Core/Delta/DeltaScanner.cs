using System.IO.Hashing;

using Microsoft.Win32.SafeHandles;

using PeerFlow.Buffers;
using PeerFlow.Files;

namespace PeerFlow.Delta;

/// <summary>One step of a delta: bytes to send, or a range the receiver copies from its own version of the file.</summary>
internal readonly record struct DeltaStep(long Offset, ChunkBuffer? Literal, long BasisOffset, long CopyLength);

/// <summary>
/// The sender's side of rsync's algorithm: slides a window of the block size over the new file, one byte at a time
/// while nothing matches (the weak checksum rolls), a block at a time while blocks match, and produces literal data
/// (at most one chunk per step) and copies of the receiver's blocks (adjacent ones merged into one range). An
/// insertion or deletion anywhere shifts nothing: the blocks after it are found at their new offsets. Hashes every
/// byte of the new file in order (for the file's end).
/// </summary>
internal sealed class DeltaScanner : IDisposable
{
    /// <summary>Least read beyond a chunk and a window: small, so the buffer is one the pool already has (fresh memory costs a page fault per page).</summary>
    private const int MinReadSize = 256 * 1024;

    private readonly SafeFileHandle _handle;
    private readonly long _size;
    private readonly BlockIndex _index;
    private readonly ChunkPool _pool;
    private readonly int _chunk;
    private readonly XxHash128 _hasher;
    private readonly int _block;
    private byte[] _buffer;
    private long _bufferStart;
    private int _bufferLength;
    private long _position;
    private long _literalStart;
    private RollingChecksum _weak;
    private bool _weakValid;
    private int _matched = -1;
    private int _nextPreferred = -1;
    private long _copyOffset = -1;
    private long _copyBasis;
    private long _copyLength;

    public DeltaScanner(SafeFileHandle handle, long size, BlockIndex index, ChunkPool pool, int chunkSize, XxHash128 hasher)
    {
        _handle = handle;
        _size = size;
        _index = index;
        _pool = pool;
        _chunk = chunkSize;
        _hasher = hasher;
        _block = index.BlockSize;
        // Room for a chunk of literal bytes, the window and a read at least as large as the chunk (so moving the unsent
        // bytes to the front costs at most a copy per byte read); never more than the file.
        _buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Max(1, Math.Min(chunkSize + _block + Math.Max(MinReadSize, chunkSize), size)));
    }

    /// <summary>Bytes of the new file sent as literal data so far.</summary>
    public long LiteralBytes { get; private set; }

    /// <summary>The next step, or null when the whole file is covered.</summary>
    public DeltaStep? Next()
    {
        while (true)
        {
            if (_matched >= 0)
            {
                if (!TryAddCopy(_matched))
                {
                    return TakeCopy();
                }

                _matched = -1;
                continue;
            }

            if (_index.Count == 0 || _position + _block > _size)
            {
                if (_copyOffset >= 0)
                {
                    return TakeCopy();
                }

                Fill(_size);
                return _literalStart < _size ? Literal((int)Math.Min(_chunk, _size - _literalStart)) : null;
            }

            if (_position - _literalStart >= _chunk)
            {
                return _copyOffset >= 0 ? TakeCopy() : Literal(_chunk);
            }

            Fill(Math.Min(_position + _block + 1, _size));
            var window = _buffer.AsSpan((int)(_position - _bufferStart), _block);
            if (!_weakValid)
            {
                _weak = RollingChecksum.Of(window);
                _weakValid = true;
            }

            var found = _index.Find(_weak.Value, window, _nextPreferred);
            if (found >= 0)
            {
                if (_literalStart < _position)
                {
                    if (_copyOffset >= 0)
                    {
                        return TakeCopy();
                    }

                    _matched = found;
                    return Literal((int)(_position - _literalStart));
                }

                if (!TryAddCopy(found))
                {
                    _matched = found;
                    return TakeCopy();
                }

                continue;
            }

            // No block starts here: slide one byte (the next byte is in the buffer: Fill went one past the window).
            if (_position + _block < _size)
            {
                Slide();
            }
            else
            {
                _weakValid = false;
                _position++;
            }
        }
    }

    /// <summary>
    /// Slides the window on from a position where no block starts, a byte at a time, for as long as no block can start
    /// at the next position either (the index's filter says no block has that weak checksum: <see cref="WeakFilter"/>),
    /// the next byte is in the buffer and the literal run is shorter than a chunk. Stops where one of those ends, so
    /// <see cref="Next"/> takes over exactly as if it had moved byte by byte itself. A rewritten file is one long such
    /// run: scanned at ~400 MB/s here instead of ~80 MB/s through <see cref="Next"/>'s general steps.
    /// </summary>
    private void Slide()
    {
        var buffer = _buffer;
        var offset = (int)(_position - _bufferStart);
        // Moving to offset + 1 takes the byte at offset + block; Next needs one more beyond the new window.
        var last = (int)(Math.Min(Math.Min(_bufferLength, _size - _bufferStart) - _block - 1, _literalStart + _chunk - 1 - _bufferStart));
        var weak = _weak;
        var filter = _index.Filter;
        var block = _block;
        do
        {
            weak.Roll(buffer[offset], buffer[offset + block]);
            offset++;
        }
        while (offset <= last && !filter.MayContain(weak.Value));

        _weak = weak;
        _position = _bufferStart + offset;
    }

    /// <summary>Takes the window as a copy of <paramref name="block"/>; false when a pending copy it does not extend must go first.</summary>
    private bool TryAddCopy(int block)
    {
        var basis = (long)block * _block;
        if (_copyOffset >= 0)
        {
            if (_copyOffset + _copyLength != _position || _copyBasis + _copyLength != basis)
            {
                return false;
            }

            _copyLength += _block;
        }
        else
        {
            (_copyOffset, _copyBasis, _copyLength) = (_position, basis, _block);
        }

        _hasher.Append(_buffer.AsSpan((int)(_position - _bufferStart), _block));
        _position += _block;
        _literalStart = _position;
        _weakValid = false;
        _nextPreferred = block + 1;
        return true;
    }

    private DeltaStep TakeCopy()
    {
        var step = new DeltaStep(_copyOffset, null, _copyBasis, _copyLength);
        _copyOffset = -1;
        return step;
    }

    private DeltaStep Literal(int length)
    {
        var data = _pool.Rent(length);
        _buffer.AsSpan((int)(_literalStart - _bufferStart), length).CopyTo(data.Array);
        _hasher.Append(data.Span);
        var step = new DeltaStep(_literalStart, data, 0, 0);
        _literalStart += length;
        LiteralBytes += length;
        return step;
    }

    /// <summary>Makes sure the buffer holds the file from the first byte not yet sent up to <paramref name="end"/>.</summary>
    private void Fill(long end)
    {
        if (end <= _bufferStart + _bufferLength)
        {
            return;
        }

        var keep = (int)(_bufferStart + _bufferLength - _literalStart);
        if (_literalStart > _bufferStart)
        {
            _buffer.AsSpan((int)(_literalStart - _bufferStart), keep).CopyTo(_buffer);
            _bufferStart = _literalStart;
            _bufferLength = keep;
        }

        var want = (int)Math.Min(_buffer.Length - _bufferLength, _size - (_bufferStart + _bufferLength));
        var read = FileCalls.Read(_handle, _buffer.AsSpan(_bufferLength, want), _bufferStart + _bufferLength);
        if (read < want || _bufferStart + _bufferLength + read < end)
        {
            throw new IOException("the file shrank while it was being sent");
        }

        _bufferLength += read;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
