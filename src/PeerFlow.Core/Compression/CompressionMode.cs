namespace PeerFlow.Compression;

/// <summary>How data chunks are compressed on the wire.</summary>
public enum CompressionMode
{
    /// <summary>LZ4 while the transport is the bottleneck, raw while it keeps up (<see cref="CompressionGovernor"/>).</summary>
    Auto,

    /// <summary>LZ4 for every chunk that shrinks by at least 1/16.</summary>
    Lz4,

    /// <summary>Never compress.</summary>
    None,
}
