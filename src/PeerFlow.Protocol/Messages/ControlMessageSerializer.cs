using System.Buffers;
using System.Buffers.Binary;

using MessagePack;
using MessagePack.Formatters;

namespace PeerFlow.Protocol.Messages;

/// <summary>MessagePack settings for control messages, hardened for peer input.</summary>
public static class ControlMessageSerializer
{
    /// <summary>
    /// Untrusted-data security (bounded depth, collision-resistant hashing) over a resolver that knows only control
    /// messages. Not <see cref="MessagePackSerializerOptions.Standard"/>: touching the standard resolver initialises
    /// MessagePack's dynamic resolvers (Reflection.Emit, LINQ expressions, regular expressions), ~0.1 s per process.
    /// </summary>
    public static MessagePackSerializerOptions Options { get; } = new MessagePackSerializerOptions(ControlMessageResolver.Instance)
        .WithSecurity(MessagePackSecurity.UntrustedData.WithMaximumObjectGraphDepth(16));

    /// <summary>Writes one control message.</summary>
    public static void Serialize(IBufferWriter<byte> output, ControlMessage message)
    {
        var writer = new MessagePackWriter(output);
        ControlMessageFormatter.Instance.Serialize(ref writer, message, Options);
        writer.Flush();
    }

    /// <summary>Decodes the control message of <paramref name="frame"/>, decompressing it first when it is LZ4-compressed.</summary>
    /// <exception cref="ProtocolException">The payload is not a valid (compressed) control message.</exception>
    public static ControlMessage Deserialize(in Framing.Frame frame)
    {
        if (!frame.IsCompressed)
        {
            return Deserialize(frame.Payload);
        }

        var payload = frame.Payload.IsSingleSegment ? frame.Payload.FirstSpan : frame.Payload.ToArray();
        var length = BinaryPrimitives.ReadUInt32BigEndian(payload);
        if (length == 0 || length > ProtocolConstants.MaxControlPayload)
        {
            throw new ProtocolException($"compressed control message of {length} bytes, outside 1..{ProtocolConstants.MaxControlPayload}");
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            var decoded = K4os.Compression.LZ4.LZ4Codec.Decode(payload[4..], buffer.AsSpan(0, (int)length));
            if (decoded != length)
            {
                throw new ProtocolException($"compressed control message does not decode to its {length} bytes");
            }

            return Deserialize(new ReadOnlySequence<byte>(buffer, 0, (int)length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Decodes one control message.</summary>
    /// <exception cref="ProtocolException">The payload is not a valid control message.</exception>
    public static ControlMessage Deserialize(ReadOnlySequence<byte> payload)
    {
        try
        {
            var reader = new MessagePackReader(payload);
            var message = ControlMessageFormatter.Instance.Deserialize(ref reader, Options)
                ?? throw new ProtocolException("control message is nil");
            if (!reader.End)
            {
                throw new ProtocolException("control frame has bytes after its message");
            }

            return message;
        }
        catch (MessagePackSerializationException ex)
        {
            throw new ProtocolException($"malformed control message: {ex.InnerException?.Message ?? ex.Message}", ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new ProtocolException("truncated control message", ex);
        }
        catch (Exception ex) when (ex is ArgumentException or OverflowException or InvalidOperationException or FormatException or System.Text.DecoderFallbackException)
        {
            // MessagePack's reader reports some malformed input this way (e.g. a string length beyond the payload);
            // found by DecoderFuzzTests.
            throw new ProtocolException($"malformed control message: {ex.Message}", ex);
        }
        catch (OverflowException ex)
        {
            throw new ProtocolException("a number in a control message is out of range", ex);
        }
    }

    private sealed class ControlMessageResolver : IFormatterResolver
    {
        public static readonly ControlMessageResolver Instance = new();

        public IMessagePackFormatter<T>? GetFormatter<T>() => ControlMessageFormatter.Instance as IMessagePackFormatter<T>;
    }
}
