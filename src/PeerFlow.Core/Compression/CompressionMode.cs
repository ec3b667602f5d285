namespace PeerFlow.Compression;

/// <summary>How data chunks are compressed on the wire.</summary>
public enum CompressionMode
{
    /// <summary>LZ4 per chunk, raw where it does not pay.</summary>
    Lz4,

    /// <summary>Never compress.</summary>
    None,
}
