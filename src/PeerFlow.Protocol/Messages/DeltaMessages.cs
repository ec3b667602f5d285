using MessagePack;

namespace PeerFlow.Protocol.Messages;

/// <summary>
/// The receiver's block signatures of its version of a file it answered with <see cref="VerdictKind.Delta"/>, in one
/// or more parts after the verdict; the sender waits for the <see cref="Final"/> part before it sends the file.
/// </summary>
[MessagePackObject]
public sealed class BlockSignatures : ControlMessage
{
    /// <summary>The file, as declared.</summary>
    [Key(0)]
    public uint Id { get; set; }

    /// <summary>Bytes per block (512 B to 4 MiB); the same in every part.</summary>
    [Key(1)]
    public int BlockSize { get; set; }

    /// <summary>12 bytes per block, in order from block 0: the weak rolling checksum (u32, little-endian), then XXH3-64 (u64, little-endian).</summary>
    [Key(2)]
    public byte[] Blocks { get; set; } = [];

    /// <summary>The last part for this file (a file with no full block has one empty final part).</summary>
    [Key(3)]
    public bool Final { get; set; }
}

/// <summary>
/// Delta transfer: bytes <see cref="Offset"/> to <see cref="Offset"/> + <see cref="Length"/> of the new file are the
/// receiver's own version's bytes from <see cref="BasisOffset"/>. In order with the file's data frames, which travel
/// on the main connection.
/// </summary>
[MessagePackObject]
public sealed class BlockCopy : ControlMessage
{
    [Key(0)]
    public uint Id { get; set; }

    [Key(1)]
    public long Offset { get; set; }

    [Key(2)]
    public long BasisOffset { get; set; }

    [Key(3)]
    public long Length { get; set; }
}
