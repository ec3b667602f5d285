using System.Text;

using MessagePack;

namespace PeerFlow.Protocol.Messages;

/// <summary>
/// An <see cref="EntryBatch"/> with each entry coded as its difference from the previous one in the batch (capability
/// <c>compact-entries</c>): a tree's neighbouring entries share most of their path, size, time and mode, so a
/// no-op sync's entry list shrinks from ~14 to ~1 byte per entry after LZ4 (20,000 small files). Readers turn it back
/// into an <see cref="EntryBatch"/> (<see cref="Expand"/>); the first entry of a batch is coded against an empty entry
/// (id 0, path "", size 0, time 0, mode -1), so every batch stands alone. PROTOCOL §5.21.
/// </summary>
[MessagePackObject]
public sealed class CompactEntryBatch : ControlMessage
{
    [Key(0)]
    public CompactEntry[] Entries { get; set; } = [];

    /// <summary>Codes <paramref name="entries"/> against each other.</summary>
    public static CompactEntryBatch From(EntryInfo[] entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var coded = new CompactEntry[entries.Length];
        var previous = Empty;
        for (var i = 0; i < entries.Length; i++)
        {
            var e = entries[i];
            var shared = SharedPrefix(previous.Path, e.Path);
            var (seconds, nanoseconds) = SplitTime(e.ModifiedUnixNanoseconds);
            var (previousSeconds, _) = SplitTime(previous.ModifiedUnixNanoseconds);
            coded[i] = new CompactEntry
            {
                IdStep = unchecked(e.Id - previous.Id),
                SharedBytes = Encoding.UTF8.GetByteCount(e.Path.AsSpan(0, shared)),
                Rest = e.Path[shared..],
                Kind = e.Kind,
                SizeStep = unchecked(e.Size - previous.Size),
                SecondsStep = unchecked(seconds - previousSeconds),
                Nanoseconds = nanoseconds,
                Mode = e.Mode == previous.Mode ? null : e.Mode,
                LinkTarget = e.LinkTarget,
                Hash = e.Hash,
            };
            previous = e;
        }

        return new CompactEntryBatch { Entries = coded };
    }

    /// <summary>The entries as they were declared.</summary>
    /// <exception cref="ProtocolException">An entry does not follow from the one before it.</exception>
    public EntryInfo[] Expand()
    {
        var entries = new EntryInfo[Entries?.Length ?? 0];
        var previous = Empty;
        for (var i = 0; i < entries.Length; i++)
        {
            var c = Entries![i] ?? throw new ProtocolException("a compact entry is missing");
            if (c.IdStep == 0 && i > 0 || c.IdStep > uint.MaxValue - previous.Id)
            {
                throw new ProtocolException("compact entry ids must be increasing");
            }

            if (c.Nanoseconds >= 1_000_000_000)
            {
                throw new ProtocolException("a compact entry's nanoseconds must be below 10^9");
            }

            var (previousSeconds, _) = SplitTime(previous.ModifiedUnixNanoseconds);
            var size = (Int128)previous.Size + c.SizeStep;
            var time = (((Int128)previousSeconds + c.SecondsStep) * 1_000_000_000) + c.Nanoseconds;
            if (size < long.MinValue || size > long.MaxValue || time < long.MinValue || time > long.MaxValue)
            {
                throw new ProtocolException("a compact entry's size or time is out of range");
            }

            var e = new EntryInfo
            {
                Id = previous.Id + c.IdStep,
                Path = string.Concat(previous.Path.AsSpan(0, SharedChars(previous.Path, c.SharedBytes)), c.Rest ?? ""),
                Kind = c.Kind,
                Size = (long)size,
                ModifiedUnixNanoseconds = (long)time,
                Mode = c.Mode ?? previous.Mode,
                LinkTarget = c.LinkTarget,
                Hash = c.Hash,
            };
            entries[i] = e;
            previous = e;
        }

        return entries;
    }

    private static readonly EntryInfo Empty = new() { Id = 0, Path = "", Size = 0, ModifiedUnixNanoseconds = 0, Mode = -1 };

    /// <summary>Characters shared at the start, never splitting a surrogate pair.</summary>
    private static int SharedPrefix(string previous, string path)
    {
        var shared = previous.AsSpan().CommonPrefixLength(path);
        return shared > 0 && char.IsHighSurrogate(path[shared - 1]) ? shared - 1 : shared;
    }

    /// <summary>How many characters of <paramref name="previous"/> its first <paramref name="bytes"/> UTF-8 bytes are.</summary>
    private static int SharedChars(string previous, int bytes)
    {
        if (bytes == 0)
        {
            return 0;
        }

        var counted = 0;
        for (var chars = 0; chars < previous.Length; chars++)
        {
            var c = previous[chars];
            if (char.IsHighSurrogate(c) && chars + 1 < previous.Length && char.IsLowSurrogate(previous[chars + 1]))
            {
                counted += 4;
                chars++;
            }
            else
            {
                counted += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            }

            if (counted == bytes)
            {
                return chars + 1;
            }

            if (counted > bytes)
            {
                break;
            }
        }

        throw new ProtocolException("a compact entry shares more of the previous path than it has, or part of a character");
    }

    private static (long Seconds, uint Nanoseconds) SplitTime(long unixNanoseconds)
    {
        var seconds = Math.DivRem(unixNanoseconds, 1_000_000_000, out var rest);
        return rest < 0 ? (seconds - 1, (uint)(rest + 1_000_000_000)) : (seconds, (uint)rest);
    }
}

/// <summary>One entry of a <see cref="CompactEntryBatch"/>: what differs from the entry before it.</summary>
[MessagePackObject]
public sealed class CompactEntry
{
    /// <summary>Its id minus the previous entry's (at least 1, except for a batch's first entry, whose previous id is 0).</summary>
    [Key(0)]
    public uint IdStep { get; set; }

    /// <summary>How many leading UTF-8 bytes of the previous entry's path it shares (whole characters only).</summary>
    [Key(1)]
    public int SharedBytes { get; set; }

    /// <summary>The rest of its path.</summary>
    [Key(2)]
    public string Rest { get; set; } = "";

    [Key(3)]
    public EntryKind Kind { get; set; }

    /// <summary>Its size minus the previous entry's.</summary>
    [Key(4)]
    public long SizeStep { get; set; }

    /// <summary>The whole seconds of its modification time minus the previous entry's (times split as floor(t / 10^9)).</summary>
    [Key(5)]
    public long SecondsStep { get; set; }

    /// <summary>The nanoseconds within that second (0..999,999,999).</summary>
    [Key(6)]
    public uint Nanoseconds { get; set; }

    /// <summary>Its permission bits, or nil when they are the previous entry's.</summary>
    [Key(7)]
    public int? Mode { get; set; }

    [Key(8)]
    public string? LinkTarget { get; set; }

    [Key(9)]
    public byte[]? Hash { get; set; }
}
