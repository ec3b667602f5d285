using System.Buffers;
using System.Buffers.Binary;

using PeerFlow.Protocol;
using PeerFlow.Protocol.Framing;
using PeerFlow.Protocol.Messages;

namespace PeerFlow.Protocol.Tests;

public sealed class FrameCodecTests
{
    [Test]
    public void DataFrame_RoundTrips()
    {
        var writer = new ArrayBufferWriter<byte>();
        var payload = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        FrameWriter.WriteData(writer, 42, 1L << 40, payload.Length, payload, compressed: false);
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);

        Assert.That(FrameReader.TryParse(ref buffer, out var frame), Is.True);
        Assert.That(frame.Type, Is.EqualTo(FrameType.Data));
        Assert.That(frame.FileId, Is.EqualTo(42u));
        Assert.That(frame.Offset, Is.EqualTo(1L << 40));
        Assert.That(frame.OriginalLength, Is.EqualTo(1000));
        Assert.That(frame.IsCompressed, Is.False);
        Assert.That(frame.Payload.ToArray(), Is.EqualTo(payload));
        Assert.That(buffer.Length, Is.Zero, "the whole frame is consumed");
    }

    [Test]
    public void ControlFrame_RoundTrips()
    {
        var writer = new ArrayBufferWriter<byte>();
        var sent = new FileEnd { Id = 7, Length = 123, Hash = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray() };
        FrameWriter.WriteControl(writer, sent);
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);

        Assert.That(FrameReader.TryParse(ref buffer, out var frame), Is.True);
        Assert.That(frame.Type, Is.EqualTo(FrameType.Control));
        var received = (FileEnd)ControlMessageSerializer.Deserialize(frame.Payload);
        Assert.That(received.Id, Is.EqualTo(7u));
        Assert.That(received.Length, Is.EqualTo(123));
        Assert.That(received.Hash, Is.EqualTo(sent.Hash));
    }

    [Test]
    public void BytesDeliveredOneAtATime_ParseToTheSameFrames()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteControl(writer, new Hello { ProtocolVersion = 1, MinProtocolVersion = 1, Software = "test", Capabilities = ["lz4"] });
        FrameWriter.WriteData(writer, 1, 0, 5, "hello"u8, compressed: false);
        FrameWriter.WriteData(writer, 2, 5, 0, [], compressed: false);
        var all = writer.WrittenSpan.ToArray();

        var parsed = new List<(FrameType, uint, byte[])>();
        var pending = new List<byte>();
        foreach (var b in all)
        {
            pending.Add(b);
            var buffer = new ReadOnlySequence<byte>(pending.ToArray());
            while (FrameReader.TryParse(ref buffer, out var frame))
            {
                parsed.Add((frame.Type, frame.FileId, frame.Payload.ToArray()));
                pending = [.. buffer.ToArray()];
            }
        }

        Assert.That(parsed.Select(p => p.Item1), Is.EqualTo(new[] { FrameType.Control, FrameType.Data, FrameType.Data }));
        Assert.That(parsed[1].Item3, Is.EqualTo("hello"u8.ToArray()));
        Assert.That(parsed[2].Item3, Is.Empty);
        Assert.That(pending, Is.Empty);
    }

    [Test]
    public void FrameSplitAcrossSegments_Parses()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteData(writer, 9, 100, 300, new byte[300], compressed: false);
        var bytes = writer.WrittenSpan.ToArray();
        var sequence = Segments.Split(bytes, 3, 11, 17, 100);
        Assert.That(FrameReader.TryParse(ref sequence, out var frame), Is.True);
        Assert.That(frame.Offset, Is.EqualTo(100));
        Assert.That(frame.Payload.Length, Is.EqualTo(300));
    }

    [Test]
    public void TruncatedFrame_NeedsMoreData_NeverReadsPastTheEnd()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteData(writer, 1, 0, 1000, new byte[1000], compressed: false);
        for (var cut = 0; cut < writer.WrittenCount; cut += 97)
        {
            var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory[..cut]);
            Assert.That(FrameReader.TryParse(ref buffer, out _), Is.False, $"cut at {cut}");
            Assert.That(buffer.Length, Is.EqualTo(cut), "nothing consumed");
        }
    }

    [Test]
    public void OversizedLength_IsRejectedFromTheHeaderAlone()
    {
        var header = Header(FrameType.Data, 0, ProtocolConstants.MaxFramePayload + 1);
        var buffer = new ReadOnlySequence<byte>(header);
        var error = Assert.Throws<ProtocolException>(() => FrameReader.TryParse(ref buffer, out _));
        Assert.That(error!.Message, Does.Contain("length"));
    }

    [Test]
    public void OversizedControlFrame_IsRejected()
    {
        var buffer = new ReadOnlySequence<byte>(Header(FrameType.Control, 0, ProtocolConstants.MaxControlPayload + 1));
        Assert.Throws<ProtocolException>(() => FrameReader.TryParse(ref buffer, out _));
    }

    [TestCase((byte)0, (byte)0, (ushort)0, TestName = "unknown type 0")]
    [TestCase((byte)3, (byte)0, (ushort)0, TestName = "unknown type 3")]
    [TestCase((byte)1, (byte)2, (ushort)0, TestName = "control frame with unknown flag")]
    [TestCase((byte)2, (byte)0x80, (ushort)0, TestName = "data frame with unknown flag")]
    [TestCase((byte)1, (byte)0, (ushort)1, TestName = "reserved bits set")]
    public void MalformedHeader_IsRejected(byte type, byte flags, ushort reserved)
    {
        var header = Header((FrameType)type, flags, 64);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), reserved);
        var buffer = new ReadOnlySequence<byte>([.. header, .. new byte[64]]);
        Assert.Throws<ProtocolException>(() => FrameReader.TryParse(ref buffer, out _));
    }

    [Test]
    public void CompressedControlFrame_RoundTrips_AndIsSmaller()
    {
        var batch = new EntryBatch { Entries = [.. Enumerable.Range(0, 256).Select(i => new EntryInfo { Id = (uint)i, Path = $"photos/2024/d{i / 16:D3}/img{i:D5}.jpg", Size = 4096, ModifiedUnixNanoseconds = 1_700_000_000_000_000_000, Mode = 420 })] };
        var plain = new ArrayBufferWriter<byte>();
        FrameWriter.WriteControl(plain, batch);
        var compressed = new ArrayBufferWriter<byte>();
        FrameWriter.WriteControl(compressed, batch, compress: true);
        Assert.That(compressed.WrittenCount, Is.LessThan(plain.WrittenCount / 2));

        var buffer = new ReadOnlySequence<byte>(compressed.WrittenMemory);
        Assert.That(FrameReader.TryParse(ref buffer, out var frame), Is.True);
        Assert.That(frame.IsCompressed, Is.True);
        var decoded = (EntryBatch)ControlMessageSerializer.Deserialize(frame);
        Assert.That(decoded.Entries.Select(e => e.Path), Is.EqualTo(batch.Entries.Select(e => e.Path)));
    }

    [Test]
    public void ShortControlMessages_AreNeverCompressed()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteControl(writer, new Heartbeat(), compress: true);
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.That(FrameReader.TryParse(ref buffer, out var frame) && !frame.IsCompressed, Is.True);
    }

    [TestCase(0u, TestName = "declared length 0")]
    [TestCase((uint)ProtocolConstants.MaxControlPayload + 1, TestName = "declared length over the limit")]
    [TestCase(5000u, TestName = "declared length that is not what it decodes to")]
    [TestCase(1u, TestName = "corrupt block")]
    public void CompressedControlFrame_ThatDoesNotDecode_IsAProtocolError(uint declared)
    {
        var batch = new EntryBatch { Entries = [.. Enumerable.Range(0, 64).Select(i => new EntryInfo { Id = (uint)i, Path = $"a/b/c/file{i:D4}.txt" })] };
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteControl(writer, batch, compress: true);
        var bytes = writer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(ProtocolConstants.FrameHeaderLength), declared);
        if (declared == 1)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(ProtocolConstants.FrameHeaderLength), 9999);
            bytes.AsSpan(ProtocolConstants.FrameHeaderLength + 4).Fill(0xFF);
        }

        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.That(FrameReader.TryParse(ref buffer, out var frame), Is.True);
        Assert.Throws<ProtocolException>(() => ControlMessageSerializer.Deserialize(frame));
    }

    [Test]
    public void DataFrame_AnnouncingMoreThanTheMaximumChunk_IsRejected()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteDataHeader(writer, 1, 0, 10, 10, compressed: true);
        writer.Write(new byte[10]);
        var bytes = writer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(20), ProtocolConstants.MaxChunkSize + 1);
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.Throws<ProtocolException>(() => FrameReader.TryParse(ref buffer, out _));
    }

    [Test]
    public void UncompressedDataFrame_WithMismatchedLength_IsRejected()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteDataHeader(writer, 1, 0, 20, 10, compressed: false);
        writer.Write(new byte[10]);
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.Throws<ProtocolException>(() => FrameReader.TryParse(ref buffer, out _));
    }

    [Test]
    public void RandomGarbage_OnlyEverNeedsMoreOrThrowsProtocolException()
    {
        var random = new Random(12345);
        var rejected = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            if (bytes.Length > 0 && random.Next(2) == 0)
            {
                bytes[0] = (byte)random.Next(1, 3);
            }

            var buffer = new ReadOnlySequence<byte>(bytes);
            try
            {
                while (FrameReader.TryParse(ref buffer, out _))
                {
                }
            }
            catch (ProtocolException)
            {
                rejected++;
            }
        }

        // Any other exception type would have failed the test above; most garbage must be recognised as such.
        Assert.That(rejected, Is.GreaterThan(10_000));
    }

    private static byte[] Header(FrameType type, byte flags, long length)
    {
        var header = new byte[ProtocolConstants.FrameHeaderLength];
        header[0] = (byte)type;
        header[1] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)length);
        return header;
    }
}
