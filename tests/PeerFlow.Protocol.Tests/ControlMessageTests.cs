using System.Buffers;

using MessagePack;

using PeerFlow.Protocol;
using PeerFlow.Protocol.Messages;

namespace PeerFlow.Protocol.Tests;

public sealed class ControlMessageTests
{
    private static readonly ControlMessage[] AllKinds =
        [
            new Hello { ProtocolVersion = 1, MinProtocolVersion = 1, Software = "x", Capabilities = ["lz4"] },
            new HelloReply { ProtocolVersion = 1, Software = "y", Capabilities = [] },
            new TransferOffer { TransferId = new byte[16], Roots = ["a", "b"], TotalFiles = 3, TotalDirectories = 1, TotalBytes = 99, ChunkSize = 1 << 20 },
            new TransferReply { Accepted = true, RootNames = ["a (1)"] },
            new EntryBatch { Entries = [new EntryInfo { Id = 1, Path = "a/b", Kind = EntryKind.File, Size = 5, ModifiedUnixNanoseconds = 1_700_000_000_000_000_000, Mode = 420 }] },
            new EntryBatch { Entries = [new EntryInfo { Id = 2, Path = "a/link", Kind = EntryKind.Symlink, ModifiedUnixNanoseconds = 1, LinkTarget = "../b" }] },
            new FileEnd { Id = 1, Length = 5, Hash = new byte[16] },
            new FileAbort { Id = 2, Reason = "gone" },
            new TransferEnd { Files = 1, Directories = 0, Bytes = 5 },
            new TransferSummary { Success = true, FilesWritten = 1, BytesWritten = 5, Failures = [new EntryFailure { Path = "p", Reason = "r" }] },
            new ErrorMessage { Code = ErrorCode.InvalidPath, Message = "no" },
            new TransferOffer { TransferId = new byte[16], Roots = ["a"], ResumeKey = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16] },
            new TransferReply { Accepted = true, RootNames = ["a"], Verdicts = true },
            new PauseTransfer { Reason = "paused by the receiver" },
            new PauseTransfer(),
            new ResumeTransfer(),
            new Heartbeat(),
            new CancelTransfer { Reason = "cancelled by the sender", DiscardPartial = true },
            new EntryVerdicts { UpTo = 300, Verdicts = [new EntryVerdict { Id = 3, Kind = VerdictKind.Have }, new EntryVerdict { Id = 7, Kind = VerdictKind.Resume, Offset = 1 << 30, PrefixHash = new byte[16] }] },
            new TransferOffer { TransferId = new byte[16], Roots = ["a"], ExtraStreams = 3 },
            new TransferReply { Accepted = true, RootNames = ["a"], ExtraStreams = 3, StreamToken = [.. Enumerable.Range(1, 16).Select(i => (byte)i)] },
            new JoinStream { TransferId = new byte[16], Token = new byte[16], Stream = 2 },
            new JoinReply { Accepted = true },
            new JoinReply { Reason = "no such transfer" },
            new TransferOffer { TransferId = new byte[16], Roots = ["photos"], Target = "backups/laptop", Sync = new SyncRequest { Checksum = true, Delete = true, MaxDelete = 10, MaxDeletePercent = 30, Trash = true, DryRun = true, Protect = ["*.tmp", "!keep.tmp"], Links = true, Delta = true } },
            new TransferOffer { TransferId = new byte[16], Roots = ["photos"], Target = "", Sync = new SyncRequest() },
            new EntryBatch { Entries = [new EntryInfo { Id = 4, Path = "a/c", Kind = EntryKind.File, Size = 9, Hash = [.. Enumerable.Range(0, 16).Select(i => (byte)i)] }] },
            new EntryVerdicts { UpTo = 5, Verdicts = [new EntryVerdict { Id = 5, Kind = VerdictKind.Update }], Others = VerdictKind.Have },
            new TransferEnd { Files = 2, Directories = 1, Bytes = 10, Incomplete = true },
            new TransferSummary { Success = true, EntriesDeleted = 3, BytesDeleted = 42, DeletionRefused = "more than the limit" },
            new EntryVerdicts { UpTo = 6, Verdicts = [new EntryVerdict { Id = 6, Kind = VerdictKind.Delta }] },
            new BlockSignatures { Id = 6, BlockSize = 32768, Blocks = new byte[24], Final = true },
            new BlockCopy { Id = 6, Offset = 1 << 20, BasisOffset = 1 << 21, Length = 1L << 32 },
            new SyncDeletions { Entries = [new DeletedEntry { Path = "old/a.txt", Kind = EntryKind.File, Size = 42 }, new DeletedEntry { Path = "old", Kind = EntryKind.Directory }] },
        ];

    private static byte[] Encode(ControlMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        ControlMessageSerializer.Serialize(buffer, message);
        return buffer.WrittenSpan.ToArray();
    }

    [TestCaseSource(nameof(AllKinds))]
    public void EveryMessageKind_RoundTrips(ControlMessage message)
    {
        var bytes = Encode(message);
        var back = ControlMessageSerializer.Deserialize(new ReadOnlySequence<byte>(bytes));
        Assert.That(back.GetType(), Is.EqualTo(message.GetType()));
        Assert.That(Encode(back), Is.EqualTo(bytes));
    }

    [TestCaseSource(nameof(AllKinds))]
    public void HandWrittenFormatter_MatchesTheAttributeSchema(ControlMessage message)
    {
        // The [MessagePackObject]/[Key]/[Union] attributes are the schema; MessagePack's own attribute-driven resolver
        // must produce byte for byte what the hand-written formatter writes, and read it back the same way.
        var byAttributes = MessagePackSerializer.Serialize(message, MessagePackSerializerOptions.Standard);
        Assert.That(Encode(message), Is.EqualTo(byAttributes));
        var readByAttributes = MessagePackSerializer.Deserialize<ControlMessage>(Encode(message), MessagePackSerializerOptions.Standard);
        Assert.That(Encode(readByAttributes), Is.EqualTo(byAttributes));
    }

    [Test]
    public void WireShape_IsUnionKeyThenPositionalArray()
    {
        // docs/PROTOCOL.md promises this exact encoding: [kind, [field0, field1, ...]].
        var bytes = Encode(new FileAbort { Id = 2, Reason = "x" });
        Assert.That(bytes, Is.EqualTo(new byte[] { 0x92, 0x06, 0x92, 0x02, 0xa1, (byte)'x' }));
    }

    [Test]
    public void Heartbeat_IsKindTwelveWithAnEmptyBody()
    {
        Assert.That(Encode(new Heartbeat()), Is.EqualTo(new byte[] { 0x92, 0x0C, 0x90 }));
    }

    [Test]
    public void UnknownMessageKind_IsAProtocolError()
    {
        var bytes = new byte[] { 0x92, 0x7f, 0x90 };
        Assert.Throws<ProtocolException>(() => ControlMessageSerializer.Deserialize(new ReadOnlySequence<byte>(bytes)));
    }

    [Test]
    public void TrailingBytes_AreAProtocolError()
    {
        var bytes = Encode(new TransferEnd()).Append((byte)0xc0).ToArray();
        Assert.Throws<ProtocolException>(() => ControlMessageSerializer.Deserialize(new ReadOnlySequence<byte>(bytes)));
    }

    [Test]
    public void NewerPeerWithExtraTrailingFields_IsUnderstood()
    {
        // [kind 6 (FileAbort), [id, reason, <a field from a future version>]]
        var bytes = new byte[] { 0x92, 0x06, 0x93, 0x02, 0xa1, (byte)'x', 0x2a };
        var message = (FileAbort)ControlMessageSerializer.Deserialize(new ReadOnlySequence<byte>(bytes));
        Assert.That(message.Reason, Is.EqualTo("x"));
    }

    [Test]
    public void DeeplyNestedInput_IsRejectedNotAStackOverflow()
    {
        var bytes = new byte[] { 0x92, 0x04, 0x91 }.Concat(Enumerable.Repeat((byte)0x91, 10_000)).Append((byte)0xc0).ToArray();
        Assert.Throws<ProtocolException>(() => ControlMessageSerializer.Deserialize(new ReadOnlySequence<byte>(bytes)));
    }

    [Test]
    public void RandomGarbage_IsAlwaysAProtocolError()
    {
        var random = new Random(99);
        for (var i = 0; i < 5_000; i++)
        {
            var bytes = new byte[random.Next(1, 48)];
            random.NextBytes(bytes);
            try
            {
                ControlMessageSerializer.Deserialize(new ReadOnlySequence<byte>(bytes));
            }
            catch (ProtocolException)
            {
            }
        }
    }
}
