using MessagePack;

namespace PeerFlow.Protocol.Messages;

/// <summary>Declares entries (files, directories and symbolic links) before any data of theirs is sent.</summary>
[MessagePackObject]
public sealed class EntryBatch : ControlMessage
{
    [Key(0)]
    public EntryInfo[] Entries { get; set; } = [];

    /// <summary>
    /// Written as a <see cref="CompactEntryBatch"/> (kind 20; only to a peer with capability <c>compact-entries</c>);
    /// set on a batch read from that form. Not part of either encoding.
    /// </summary>
    [IgnoreMember]
    public bool Compact { get; set; }
}

/// <summary>What an entry is.</summary>
public enum EntryKind : byte
{
    File = 0,
    Directory = 1,

    /// <summary>A symbolic link (capability <c>symlinks</c>): <see cref="EntryInfo.LinkTarget"/> is what it points to.</summary>
    Symlink = 2,
}

/// <summary>One file, directory or symbolic link of the transfer.</summary>
[MessagePackObject]
public sealed class EntryInfo
{
    /// <summary>Unique within the transfer; data frames and <see cref="FileEnd"/> refer to files by it.</summary>
    [Key(0)]
    public uint Id { get; set; }

    /// <summary>Path relative to the receiver's destination: '/'-separated, starting with one of the offer's roots.</summary>
    [Key(1)]
    public string Path { get; set; } = "";

    [Key(2)]
    public EntryKind Kind { get; set; }

    /// <summary>Files: size in bytes when enumerated. Directories: 0.</summary>
    [Key(3)]
    public long Size { get; set; }

    /// <summary>Last modification time, nanoseconds since 1970-01-01T00:00:00Z.</summary>
    [Key(4)]
    public long ModifiedUnixNanoseconds { get; set; }

    /// <summary>Unix permission bits (0..0o7777), or -1 when the sender has none to give.</summary>
    [Key(5)]
    public int Mode { get; set; } = -1;

    /// <summary>Symbolic links: the link's target exactly as stored in the link ('/'-separated, relative). Otherwise null.</summary>
    [Key(6)]
    public string? LinkTarget { get; set; }

    /// <summary>Files of a sync with <see cref="SyncRequest.Checksum"/>: XXH128 of the content when enumerated (16 bytes). Otherwise null.</summary>
    [Key(7)]
    public byte[]? Hash { get; set; }
}
