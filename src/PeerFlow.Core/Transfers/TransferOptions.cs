using PeerFlow.Buffers;
using PeerFlow.Compression;
using PeerFlow.Files;

namespace PeerFlow.Transfers;

/// <summary>Settings of the sending side.</summary>
public sealed class SendOptions
{
    public CompressionMode Compression { get; init; } = CompressionMode.Auto;

    public ChunkSizePolicy ChunkSize { get; init; } = ChunkSizePolicy.Default;

    /// <summary>Files read at the same time.</summary>
    public int Readers { get; init; } = 2;

    /// <summary>Chunks each pipeline block may hold; memory in flight is about 3 x this x the chunk size.</summary>
    public int Capacity { get; init; } = 4;

    /// <summary>How long the peer may take to answer the handshake and the offer.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often progress is reported.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Tests: the pool chunk buffers come from, to check they all come back.</summary>
    internal ChunkPool? Pool { get; init; }
}

/// <summary>Settings of the receiving side.</summary>
public sealed class ReceiveOptions
{
    /// <summary>The directory incoming roots are stored in; created if missing.</summary>
    public required string Destination { get; init; }

    public ConflictPolicy OnConflict { get; init; } = ConflictPolicy.Rename;

    /// <summary>Chunks each pipeline block may hold.</summary>
    public int Capacity { get; init; } = 4;

    /// <summary>How long a peer may take to say hello and make its offer before it is dropped.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Files a peer may have declared but not finished at any time.</summary>
    public int MaxPendingFiles { get; init; } = 65_536;

    /// <summary>Files that may be open for writing at the same time.</summary>
    public int MaxOpenFiles { get; init; } = 256;

    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Tests: the pool chunk buffers come from, to check they all come back.</summary>
    internal ChunkPool? Pool { get; init; }
}
