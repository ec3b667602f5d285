using PeerFlow.Protocol.Messages;

namespace PeerFlow.Files;

/// <summary>One file, directory or symbolic link found on the sending side.</summary>
public sealed class SourceEntry
{
    public required string RelativePath { get; init; }

    public required string FullPath { get; init; }

    public required EntryKind Kind { get; init; }

    public long Size { get; init; }

    public long ModifiedUnixNanoseconds { get; init; }

    public int Mode { get; init; } = -1;

    /// <summary>Symbolic links: what the link points to, as stored in it.</summary>
    public string? LinkTarget { get; init; }

    /// <summary>Assigned when the entry is declared to the peer.</summary>
    public uint Id { get; set; }

    public EntryInfo ToEntryInfo() => new()
    {
        Id = Id,
        Path = RelativePath,
        Kind = Kind,
        Size = Size,
        ModifiedUnixNanoseconds = ModifiedUnixNanoseconds,
        Mode = Mode,
        LinkTarget = LinkTarget,
    };
}

/// <summary>Conversions between .NET times and the protocol's nanoseconds since the Unix epoch.</summary>
public static class UnixTime
{
    public static long ToNanoseconds(DateTime utc) => (utc.ToUniversalTime().Ticks - DateTime.UnixEpoch.Ticks) * 100;

    /// <summary>
    /// Whether two times are the same to the 100 ns .NET keeps: one side may have read a time with <c>statx</c>
    /// (nanoseconds), the other through .NET (100 ns ticks).
    /// </summary>
    public static bool Same(long a, long b) => a / 100 == b / 100;

    public static DateTime FromNanoseconds(long nanoseconds)
    {
        var ticks = DateTime.UnixEpoch.Ticks + (nanoseconds / 100);
        return new DateTime(Math.Clamp(ticks, DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), DateTimeKind.Utc);
    }
}
