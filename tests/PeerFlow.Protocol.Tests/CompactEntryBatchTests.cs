using System.Buffers;

using MessagePack;

using PeerFlow.Protocol.Messages;

namespace PeerFlow.Protocol.Tests;

/// <summary>Entry batches coded against the previous entry (kind 20, capability <c>compact-entries</c>).</summary>
public sealed class CompactEntryBatchTests
{
    private static EntryInfo[] Varied() =>
    [
        new EntryInfo { Id = 0, Path = "photos", Kind = EntryKind.Directory, ModifiedUnixNanoseconds = 1_700_000_000_123_456_789, Mode = 493 },
        new EntryInfo { Id = 1, Path = "photos/a.jpg", Kind = EntryKind.File, Size = 5_000_000, ModifiedUnixNanoseconds = 1_700_000_001_000_000_000, Mode = 420 },
        new EntryInfo { Id = 2, Path = "photos/a.jpeg", Kind = EntryKind.File, Size = 12, ModifiedUnixNanoseconds = 1_600_000_000_999_999_999, Mode = 420 },
        new EntryInfo { Id = 7, Path = "photos/été/über", Kind = EntryKind.File, Size = 0, ModifiedUnixNanoseconds = -1, Mode = -1 },
        new EntryInfo { Id = 8, Path = "photos/été/überall", Kind = EntryKind.File, Size = long.MaxValue, ModifiedUnixNanoseconds = long.MinValue, Mode = 384 },
        new EntryInfo { Id = 9, Path = "photos/\U0001F600/x", Kind = EntryKind.Directory, ModifiedUnixNanoseconds = long.MaxValue, Mode = 448 },
        new EntryInfo { Id = 10, Path = "photos/\U0001F601/y", Kind = EntryKind.Symlink, ModifiedUnixNanoseconds = 0, LinkTarget = "../\U0001F600/x" },
        new EntryInfo { Id = uint.MaxValue, Path = "photos/z", Kind = EntryKind.File, Size = 3, Hash = [.. Enumerable.Range(0, 16).Select(i => (byte)i)], Mode = 384 },
    ];

    private static byte[] Encode(ControlMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        ControlMessageSerializer.Serialize(buffer, message);
        return buffer.WrittenSpan.ToArray();
    }

    private static ControlMessage Decode(byte[] bytes) => ControlMessageSerializer.Deserialize(new ReadOnlySequence<byte>(bytes));

    [Test]
    public void RoundTrips_EveryField_WithSharedPrefixesAcrossMultiByteCharacters()
    {
        var entries = Varied();
        var back = (EntryBatch)Decode(Encode(new EntryBatch { Entries = entries, Compact = true }));
        Assert.That(back.Compact, Is.True);
        Assert.That(back.Entries, Has.Length.EqualTo(entries.Length));
        for (var i = 0; i < entries.Length; i++)
        {
            var (a, b) = (entries[i], back.Entries[i]);
            Assert.That((b.Id, b.Path, b.Kind, b.Size, b.ModifiedUnixNanoseconds, b.Mode, b.LinkTarget), Is.EqualTo((a.Id, a.Path, a.Kind, a.Size, a.ModifiedUnixNanoseconds, a.Mode, a.LinkTarget)), a.Path);
            Assert.That(b.Hash, Is.EqualTo(a.Hash));
        }
    }

    [Test]
    public void HandWrittenFormatter_MatchesTheAttributeSchema()
    {
        var entries = Varied();
        var byAttributes = MessagePackSerializer.Serialize<ControlMessage>(CompactEntryBatch.From(entries), MessagePackSerializerOptions.Standard);
        Assert.That(Encode(new EntryBatch { Entries = entries, Compact = true }), Is.EqualTo(byAttributes));
        Assert.That(byAttributes[1], Is.EqualTo(20), "kind 20");
    }

    [Test]
    public void ATreesNeighbours_CostAFewBytesEach()
    {
        var entries = Enumerable.Range(0, 256).Select(i => new EntryInfo { Id = (uint)(1000 + i), Path = $"small/d042/f{42_000 + i:00000}.bin", Kind = EntryKind.File, Size = 4096, ModifiedUnixNanoseconds = (1_700_042_000L + i) * 1_000_000_000, Mode = 420 }).ToArray();
        var plain = Encode(new EntryBatch { Entries = entries }).Length;
        var compact = Encode(new EntryBatch { Entries = entries, Compact = true }).Length;
        Assert.That(compact, Is.LessThan(plain / 2), $"compact {compact} bytes, plain {plain} bytes");
    }

    private static IEnumerable<TestCaseData> Hostile()
    {
        static CompactEntry Good() => new() { IdStep = 1, SharedBytes = 0, Rest = "a", Kind = EntryKind.File };
        yield return new TestCaseData((object)new[] { Good(), new CompactEntry { IdStep = 1, SharedBytes = 2, Rest = "b" } }).SetName("shares more than the previous path has");
        yield return new TestCaseData((object)new[] { Good(), new CompactEntry { IdStep = 1, SharedBytes = -1, Rest = "b" } }).SetName("negative share");
        yield return new TestCaseData((object)new[] { new CompactEntry { IdStep = 1, Rest = "é" }, new CompactEntry { IdStep = 1, SharedBytes = 1, Rest = "x" } }).SetName("share ends inside a character");
        yield return new TestCaseData((object)new[] { Good(), new CompactEntry { IdStep = 0, Rest = "b" } }).SetName("id not increasing");
        yield return new TestCaseData((object)new[] { new CompactEntry { IdStep = uint.MaxValue, Rest = "a" }, new CompactEntry { IdStep = 1, Rest = "b" } }).SetName("id beyond uint");
        yield return new TestCaseData((object)new[] { new CompactEntry { IdStep = 1, Rest = "a", Nanoseconds = 1_000_000_000 } }).SetName("nanoseconds of a whole second");
        yield return new TestCaseData((object)new[] { new CompactEntry { IdStep = 1, Rest = "a", SizeStep = long.MaxValue }, new CompactEntry { IdStep = 1, Rest = "b", SizeStep = 1 } }).SetName("size beyond long");
        yield return new TestCaseData((object)new[] { new CompactEntry { IdStep = 1, Rest = "a", SecondsStep = long.MaxValue / 1_000_000_000 + 1 } }).SetName("time beyond long");
    }

    [TestCaseSource(nameof(Hostile))]
    public void MalformedEntries_AreAProtocolError(CompactEntry[] entries)
    {
        var bytes = Encode(new CompactEntryBatch { Entries = entries });
        Assert.That(() => Decode(bytes), Throws.TypeOf<ProtocolException>());
    }
}
