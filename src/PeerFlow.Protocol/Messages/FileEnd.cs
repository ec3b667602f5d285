using MessagePack;

namespace PeerFlow.Protocol.Messages;

/// <summary>All of a file's data has been sent: its final length and the hash of its content.</summary>
[MessagePackObject]
public sealed class FileEnd : ControlMessage
{
    [Key(0)]
    public uint Id { get; set; }

    /// <summary>Bytes sent for this file (may differ from the declared size if the file changed).</summary>
    [Key(1)]
    public long Length { get; set; }

    /// <summary>XXH128 (seed 0) of the file's content, 16 bytes, canonical big-endian form.</summary>
    [Key(2)]
    public byte[] Hash { get; set; } = [];
}

/// <summary>The sender gives up on one file (it could not be read); the receiver discards what it got of it.</summary>
[MessagePackObject]
public sealed class FileAbort : ControlMessage
{
    [Key(0)]
    public uint Id { get; set; }

    [Key(1)]
    public string Reason { get; set; } = "";
}

/// <summary>The sender has sent everything.</summary>
[MessagePackObject]
public sealed class TransferEnd : ControlMessage
{
    [Key(0)]
    public long Files { get; set; }

    [Key(1)]
    public long Directories { get; set; }

    [Key(2)]
    public long Bytes { get; set; }

    /// <summary>The sender could not read every directory below its roots: a sync must not delete anything.</summary>
    [Key(3)]
    public bool Incomplete { get; set; }
}
