using System.Buffers;

using PeerFlow.Protocol.Framing;
using PeerFlow.Protocol.Messages;
using PeerFlow.Testing;

namespace PeerFlow.Protocol.Tests;

/// <summary>
/// Property-based fuzzing of what a hostile peer controls: the frame decoder and the control-message decoder get
/// valid inputs mutated at random (bit flips, inserted, deleted and duplicated bytes, truncations, hostile lengths)
/// and plain random bytes, split into random segments. The property: a decoder answers "need more", a frame inside
/// the limits, a message, or <see cref="ProtocolException"/> — never another exception, a crash or a hang.
/// </summary>
/// <remarks>
/// CI runs a short fixed-seed pass. A longer run: <c>PEERFLOW_FUZZ_ITERATIONS=2000000 PEERFLOW_FUZZ_SEED=7 dotnet test
/// tests/PeerFlow.Protocol.Tests --filter DecoderFuzz</c>. A failure prints the seed, the iteration and the input in
/// hex: add that input to <see cref="Regressions"/>.
/// </remarks>
public sealed class DecoderFuzzTests
{
    private static readonly int Iterations = FuzzSettings.Iterations;
    private static readonly int Seed = FuzzSettings.Seed;

    /// <summary>Inputs that once broke a decoder; each stays a test forever.</summary>
    private static readonly string[] Regressions =
        [
            // A str32 length far beyond the payload: MessagePack threw ArgumentOutOfRangeException (seed 7).
            "920297C4100000000000008000000000000000000092DBA161A162030063CE00100000C41000000000000000000000000000000000",
            "0100000000000034920297DBC4100000000000009100000000000000000092A161A162030063CE00100000C41000000000000000000000000000000000",
        ];

    private static readonly ControlMessage[] Seeds =
        [
            new Hello { ProtocolVersion = 1, MinProtocolVersion = 1, Software = "x", Capabilities = ["lz4", "resume"] },
            new HelloReply { ProtocolVersion = 1, Software = "y", Capabilities = ["lz4"] },
            new TransferOffer { TransferId = new byte[16], Roots = ["a", "b"], TotalFiles = 3, TotalBytes = 99, ChunkSize = 1 << 20, ResumeKey = new byte[16] },
            new TransferReply { Accepted = true, RootNames = ["a (1)"], Verdicts = true },
            new EntryBatch { Entries = [new EntryInfo { Id = 1, Path = "a/b", Kind = EntryKind.File, Size = 5, ModifiedUnixNanoseconds = -5, Mode = 420 }, new EntryInfo { Id = 2, Path = "a", Kind = EntryKind.Directory }] },
            new EntryBatch { Compact = true, Entries = [new EntryInfo { Id = 1, Path = "a/été", Kind = EntryKind.File, Size = 5, ModifiedUnixNanoseconds = -5, Mode = 420 }, new EntryInfo { Id = 3, Path = "a/étés", Kind = EntryKind.File, Size = 2, ModifiedUnixNanoseconds = 1_700_000_000_000_000_001, Mode = 420, Hash = new byte[16] }, new EntryInfo { Id = 4, Path = "a/l", Kind = EntryKind.Symlink, LinkTarget = "étés" }] },
            new FileEnd { Id = 1, Length = 5, Hash = new byte[16] },
            new FileAbort { Id = 2, Reason = "gone" },
            new TransferEnd { Files = 1, Bytes = 5 },
            new TransferSummary { Success = false, Failures = [new EntryFailure { Path = "p", Reason = "r" }] },
            new ErrorMessage { Code = ErrorCode.InvalidPath, Message = "no" },
            new PauseTransfer { Reason = "x" },
            new CancelTransfer { Reason = "c", DiscardPartial = true },
            new EntryVerdicts { UpTo = 9, Verdicts = [new EntryVerdict { Id = 3, Kind = VerdictKind.Resume, Offset = 7, PrefixHash = new byte[16] }] },
            new JoinStream { TransferId = new byte[16], Token = new byte[16], Stream = 1 },
            new JoinReply { Accepted = false, Reason = "r" },
        ];

    [Test]
    public void ControlMessageDecoder_OnlyEverAnswersAMessageOrAProtocolError()
    {
        var corpus = Seeds.Select(Encode).ToArray();
        Run(corpus, input =>
        {
            try
            {
                _ = ControlMessageSerializer.Deserialize(Split(input, new Random(input.Length)));
            }
            catch (ProtocolException)
            {
            }
        });
    }

    [Test]
    public void FrameDecoder_OnlyEverAnswersNeedMoreAFrameInsideTheLimitsOrAProtocolError()
    {
        var corpus = Seeds.Select(m =>
        {
            var writer = new ArrayBufferWriter<byte>();
            FrameWriter.WriteControl(writer, m);
            return writer.WrittenSpan.ToArray();
        }).Append(DataFrame(1000, compressed: false)).Append(DataFrame(64, compressed: true)).ToArray();
        Run(corpus, input =>
        {
            var buffer = Split(input, new Random(input.Length));
            try
            {
                while (FrameReader.TryParse(ref buffer, out var frame))
                {
                    var limit = frame.Type == FrameType.Control ? ProtocolConstants.MaxControlPayload : ProtocolConstants.MaxChunkSize;
                    Assert.That(frame.Payload.Length, Is.LessThanOrEqualTo(limit), "a frame beyond the limits was accepted");
                    if (frame.Type == FrameType.Data)
                    {
                        Assert.That(frame.OriginalLength, Is.InRange(0, ProtocolConstants.MaxChunkSize));
                    }
                    else
                    {
                        try
                        {
                            _ = ControlMessageSerializer.Deserialize(frame.Payload);
                        }
                        catch (ProtocolException)
                        {
                        }
                    }
                }
            }
            catch (ProtocolException)
            {
            }
        });
    }

    [TestCaseSource(nameof(Regressions))]
    public void Regression(string hex)
    {
        var input = Convert.FromHexString(hex);
        var buffer = new ReadOnlySequence<byte>(input);
        Assert.DoesNotThrow(() =>
        {
            try
            {
                while (FrameReader.TryParse(ref buffer, out _))
                {
                }

                _ = ControlMessageSerializer.Deserialize(new ReadOnlySequence<byte>(input));
            }
            catch (ProtocolException)
            {
            }
        });
    }

    private static void Run(byte[][] corpus, Action<byte[]> property)
    {
        var random = new Random(Seed);
        for (var i = 0; i < Iterations; i++)
        {
            var input = i % 10 == 0 ? RandomBytes(random) : Mutate(corpus[random.Next(corpus.Length)], random);
            try
            {
                property(input);
            }
            catch (Exception ex) when (ex is not AssertionException)
            {
                Assert.Fail($"seed {Seed}, iteration {i}: {ex.GetType().Name}: {ex.Message}\ninput: {Convert.ToHexString(input)}");
            }
        }
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = new List<byte>(seed);
        var mutations = 1 + random.Next(4);
        for (var m = 0; m < mutations && bytes.Count > 0; m++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(7))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 3:
                    bytes.RemoveAt(at);
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 5:
                    // Interesting values where lengths and counts live: 0, max, just over a limit, negative.
                    var interesting = new byte[] { 0x00, 0x7f, 0x80, 0xff, 0xc0, 0xdc, 0xdd, 0xce, 0xcf, 0xd3 };
                    bytes[at] = interesting[random.Next(interesting.Length)];
                    break;
                default:
                    var length = Math.Min(8, bytes.Count - at);
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
            }
        }

        return [.. bytes];
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(64)];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>The input as a sequence of 1 to 4 segments, as a socket may deliver it.</summary>
    private static ReadOnlySequence<byte> Split(byte[] input, Random random)
        => input.Length == 0 ? ReadOnlySequence<byte>.Empty : Segments.Split(input, [.. Enumerable.Range(0, random.Next(4)).Select(_ => random.Next(input.Length + 1))]);

    private static byte[] Encode(ControlMessage message)
    {
        var writer = new ArrayBufferWriter<byte>();
        ControlMessageSerializer.Serialize(writer, message);
        return writer.WrittenSpan.ToArray();
    }

    private static byte[] DataFrame(int length, bool compressed)
    {
        var writer = new ArrayBufferWriter<byte>();
        var data = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
        FrameWriter.WriteData(writer, 1, 0, compressed ? length * 4 : length, data, compressed);
        return writer.WrittenSpan.ToArray();
    }
}
