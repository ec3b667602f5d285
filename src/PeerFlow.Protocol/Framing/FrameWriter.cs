using System.Buffers;
using System.Buffers.Binary;


using PeerFlow.Protocol.Messages;

namespace PeerFlow.Protocol.Framing;

/// <summary>Writes frames into a buffer writer (normally a connection's <c>PipeWriter</c>). Does not flush.</summary>
public static class FrameWriter
{
    /// <summary>Writes the connection preface.</summary>
    public static void WritePreface(IBufferWriter<byte> writer) => writer.Write(ProtocolConstants.Preface);

    /// <summary>Writes the header and sub-header of a data frame; the caller writes exactly <paramref name="payloadLength"/> bytes next.</summary>
    public static void WriteDataHeader(IBufferWriter<byte> writer, uint fileId, long offset, int originalLength, int payloadLength, bool compressed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(originalLength, ProtocolConstants.MaxChunkSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, ProtocolConstants.MaxChunkSize);
        var span = writer.GetSpan(ProtocolConstants.FrameHeaderLength + ProtocolConstants.DataHeaderLength);
        span[0] = (byte)FrameType.Data;
        span[1] = (byte)(compressed ? FrameFlags.Lz4 : FrameFlags.None);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)(ProtocolConstants.DataHeaderLength + payloadLength));
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], fileId);
        BinaryPrimitives.WriteUInt64BigEndian(span[12..], (ulong)offset);
        BinaryPrimitives.WriteUInt32BigEndian(span[20..], (uint)originalLength);
        writer.Advance(ProtocolConstants.FrameHeaderLength + ProtocolConstants.DataHeaderLength);
    }

    /// <summary>Writes a whole data frame.</summary>
    public static void WriteData(IBufferWriter<byte> writer, uint fileId, long offset, int originalLength, ReadOnlySpan<byte> payload, bool compressed)
    {
        WriteDataHeader(writer, fileId, offset, originalLength, payload.Length, compressed);
        writer.Write(payload);
    }

    /// <summary>Control messages shorter than this are never compressed.</summary>
    public const int CompressControlFrom = 1024;

    /// <summary>
    /// Serializes <paramref name="message"/> into a control frame; with <paramref name="compress"/> (the peer has the
    /// <c>lz4-control</c> capability) a long message goes as one LZ4 block when that saves at least 1/8.
    /// </summary>
    /// <exception cref="InvalidOperationException">The message exceeds the control frame limit.</exception>
    public static void WriteControl(IBufferWriter<byte> writer, ControlMessage message, bool compress = false)
    {
        var body = new ArrayBufferWriter<byte>(256);
        ControlMessageSerializer.Serialize(body, message);
        if (body.WrittenCount > ProtocolConstants.MaxControlPayload)
        {
            throw new InvalidOperationException($"{message.GetType().Name} is {body.WrittenCount} bytes, over the control frame limit");
        }

        if (compress && body.WrittenCount >= CompressControlFrom && TryWriteCompressed(writer, body.WrittenSpan))
        {
            return;
        }

        var span = writer.GetSpan(ProtocolConstants.FrameHeaderLength);
        span[0] = (byte)FrameType.Control;
        span[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)body.WrittenCount);
        writer.Advance(ProtocolConstants.FrameHeaderLength);
        writer.Write(body.WrittenSpan);
    }

    private static bool TryWriteCompressed(IBufferWriter<byte> writer, ReadOnlySpan<byte> body)
    {
        var worthIt = body.Length - (body.Length / 8);
        var span = writer.GetSpan(ProtocolConstants.FrameHeaderLength + 4 + K4os.Compression.LZ4.LZ4Codec.MaximumOutputSize(body.Length));
        var compressed = K4os.Compression.LZ4.LZ4Codec.Encode(body, span.Slice(ProtocolConstants.FrameHeaderLength + 4));
        if (compressed <= 0 || compressed > worthIt)
        {
            return false;
        }

        span[0] = (byte)FrameType.Control;
        span[1] = (byte)FrameFlags.Lz4;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)(4 + compressed));
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], (uint)body.Length);
        writer.Advance(ProtocolConstants.FrameHeaderLength + 4 + compressed);
        return true;
    }
}
