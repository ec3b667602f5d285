using System.Buffers;
using System.Buffers.Binary;

namespace PeerFlow.Protocol.Framing;

/// <summary>
/// Parses frames out of whatever bytes have arrived. Stateless: call <see cref="TryParse"/> on the unconsumed buffer
/// after every read; it never looks past the frame it returns and never allocates.
/// </summary>
public static class FrameReader
{
    /// <summary>
    /// Parses one frame from the front of <paramref name="buffer"/>. Returns <see langword="false"/> when more bytes
    /// are needed; on success <paramref name="buffer"/> is advanced past the frame.
    /// </summary>
    /// <exception cref="ProtocolException">The bytes cannot be a valid frame (unknown type, reserved bits, bad length).</exception>
    public static bool TryParse(ref ReadOnlySequence<byte> buffer, out Frame frame)
    {
        frame = default;
        if (buffer.Length < ProtocolConstants.FrameHeaderLength)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[ProtocolConstants.FrameHeaderLength];
        buffer.Slice(0, ProtocolConstants.FrameHeaderLength).CopyTo(header);
        var type = (FrameType)header[0];
        var flags = (FrameFlags)header[1];
        var reserved = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);

        ValidateHeader(type, flags, reserved, length);
        if (buffer.Length < ProtocolConstants.FrameHeaderLength + length)
        {
            return false;
        }

        var payload = buffer.Slice(ProtocolConstants.FrameHeaderLength, length);
        if (type == FrameType.Data)
        {
            Span<byte> sub = stackalloc byte[ProtocolConstants.DataHeaderLength];
            payload.Slice(0, ProtocolConstants.DataHeaderLength).CopyTo(sub);
            var fileId = BinaryPrimitives.ReadUInt32BigEndian(sub);
            var offset = BinaryPrimitives.ReadUInt64BigEndian(sub[4..]);
            var original = BinaryPrimitives.ReadUInt32BigEndian(sub[12..]);
            var data = payload.Slice(ProtocolConstants.DataHeaderLength);
            ValidateData(flags, offset, original, data.Length);
            frame = new Frame(type, flags, data, fileId, (long)offset, (int)original);
        }
        else
        {
            frame = new Frame(type, flags, payload);
        }

        buffer = buffer.Slice(ProtocolConstants.FrameHeaderLength + length);
        return true;
    }

    private static void ValidateHeader(FrameType type, FrameFlags flags, ushort reserved, uint length)
    {
        if (reserved != 0)
        {
            throw new ProtocolException($"frame header has non-zero reserved bits (0x{reserved:x4})");
        }

        switch (type)
        {
            case FrameType.Control:
                if ((flags & ~FrameFlags.Lz4) != 0)
                {
                    throw new ProtocolException($"control frame has unknown flags 0x{(byte)flags:x2}");
                }

                if (length == 0 || length > ProtocolConstants.MaxControlPayload || (flags == FrameFlags.Lz4 && length <= 4))
                {
                    throw new ProtocolException($"control frame length {length} is outside 1..{ProtocolConstants.MaxControlPayload}");
                }

                break;
            case FrameType.Data:
                if ((flags & ~FrameFlags.Lz4) != 0)
                {
                    throw new ProtocolException($"data frame has unknown flags 0x{(byte)flags:x2}");
                }

                if (length < ProtocolConstants.DataHeaderLength || length > ProtocolConstants.MaxFramePayload)
                {
                    throw new ProtocolException($"data frame length {length} is outside {ProtocolConstants.DataHeaderLength}..{ProtocolConstants.MaxFramePayload}");
                }

                break;
            default:
                throw new ProtocolException($"unknown frame type {(byte)type}");
        }
    }

    private static void ValidateData(FrameFlags flags, ulong offset, uint original, long dataLength)
    {
        if (original > ProtocolConstants.MaxChunkSize)
        {
            throw new ProtocolException($"data frame announces a chunk of {original} bytes (limit {ProtocolConstants.MaxChunkSize})");
        }

        if (offset > (ulong)long.MaxValue - original)
        {
            throw new ProtocolException($"data frame offset {offset} is out of range");
        }

        if ((flags & FrameFlags.Lz4) == 0)
        {
            if (dataLength != original)
            {
                throw new ProtocolException($"uncompressed data frame carries {dataLength} bytes but announces {original}");
            }
        }
        else if (dataLength == 0 || original == 0)
        {
            throw new ProtocolException("compressed data frame is empty");
        }
    }
}
