using System.Buffers;

using BenchmarkDotNet.Attributes;

using PeerFlow.Protocol.Framing;
using PeerFlow.Protocol.Messages;

namespace PeerFlow.Benchmarks;

/// <summary>Writing and parsing frames: the per-chunk and per-file overheads of the wire format.</summary>
[MemoryDiagnoser]
public class FramingBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(2 << 20);
    private byte[] _chunk = [];
    private ReadOnlySequence<byte> _frames;
    private FileEnd _fileEnd = null!;

    [Params(4 * 1024, 1024 * 1024)]
    public int ChunkSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _chunk = new byte[ChunkSize];
        _fileEnd = new FileEnd { Id = 12345, Length = ChunkSize, Hash = new byte[16] };
        var writer = new ArrayBufferWriter<byte>();
        for (var i = 0; i < 16; i++)
        {
            FrameWriter.WriteData(writer, (uint)i, 0, _chunk.Length, _chunk, compressed: false);
            FrameWriter.WriteControl(writer, _fileEnd);
        }

        _frames = new ReadOnlySequence<byte>(writer.WrittenMemory);
    }

    [Benchmark]
    public int WriteDataFrame()
    {
        _output.ResetWrittenCount();
        FrameWriter.WriteData(_output, 7, 0, _chunk.Length, _chunk, compressed: false);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int WriteFileEnd()
    {
        _output.ResetWrittenCount();
        FrameWriter.WriteControl(_output, _fileEnd);
        return _output.WrittenCount;
    }

    /// <summary>Parses 16 data frames and decodes 16 FileEnd messages (one small file each when ChunkSize is 4 KiB).</summary>
    [Benchmark(OperationsPerInvoke = 16)]
    public long ParseFileFrames()
    {
        var buffer = _frames;
        long total = 0;
        while (FrameReader.TryParse(ref buffer, out var frame))
        {
            total += frame.Type == FrameType.Data ? frame.Payload.Length : ((FileEnd)ControlMessageSerializer.Deserialize(frame.Payload)).Length;
        }

        return total;
    }
}
