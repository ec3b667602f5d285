using PeerFlow.Buffers;
using PeerFlow.Compression;
using PeerFlow.Files;
using PeerFlow.Session;

namespace PeerFlow.Transfers;

/// <summary>Settings of the sending side.</summary>
public sealed class SendOptions
{
    public CompressionMode Compression { get; init; } = CompressionMode.Auto;

    public ChunkSizePolicy ChunkSize { get; init; } = ChunkSizePolicy.Default;

    /// <summary>LZ4 level: 0 (fast, the default) or 3 to 12 (high compression: smaller, much slower to compress).</summary>
    public int CompressionLevel
    {
        get;
        init => field = value is 0 or (>= 3 and <= 12) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "LZ4 levels are 0 (fast) and 3 to 12");
    }

    /// <summary>Chunks smaller than this are sent raw, never compressed.</summary>
    public int RawBelow { get; init; } = PeerFlow.Compression.ChunkCompressor.DefaultRawBelow;

    public const int DefaultReaders = 2;

    public const int DefaultCapacity = 4;

    /// <summary>Files read at the same time.</summary>
    public int Readers { get; init; } = DefaultReaders;

    /// <summary>
    /// Streams the data is spread over: 1 is the one connection; more opens extra TCP connections (or QUIC streams
    /// of the same connection) that carry data frames only, when the receiver agrees (capability <c>streams</c>).
    /// </summary>
    public int Streams
    {
        get;
        init => field = value is >= 1 and <= Protocol.ProtocolConstants.MaxExtraStreams + 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, $"streams must be 1 to {Protocol.ProtocolConstants.MaxExtraStreams + 1}");
    } = 1;

    /// <summary>Chunks each pipeline block may hold; memory in flight is about 3 x this x the chunk size.</summary>
    public int Capacity { get; init; } = DefaultCapacity;

    /// <summary>
    /// At most this many bytes per second of data frames (after compression: what goes on the wire), or null for no
    /// limit. Paced by a token bucket refilled every 50 ms (<see cref="Pipeline.BandwidthLimit"/>).
    /// </summary>
    public long? BandwidthLimit { get; init; }

    /// <summary>How long the peer may take to answer the handshake and the offer.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often progress is reported.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Heartbeats and how long a silent receiver is given before the connection counts as lost.</summary>
    public SessionTiming Timing { get; init; } = SessionTiming.Default;

    /// <summary>
    /// How many times a lost connection is re-established (with backoff) before the transfer fails. Each attempt
    /// continues from what the receiver confirmed. Only when the sender was given a way to connect again.
    /// </summary>
    public int Reconnects { get; init; } = 5;

    /// <summary>The first wait before reconnecting; it doubles per failed attempt up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where below the receiver's destination the transfer goes ('/'-separated; null: the destination itself).</summary>
    public string? Target { get; init; }

    /// <summary>Mirror the (single, directory) source into <see cref="Target"/> instead of adding it: null for a plain send.</summary>
    public Sync.SyncOptions? Sync { get; init; }

    /// <summary>
    /// Names these sources across runs, so a receiver can continue an interrupted transfer. Default: derived from the
    /// host name and the sources' full paths (the same command resumes); empty: never resume.
    /// </summary>
    public byte[]? ResumeKey { get; init; }

    /// <summary>Tests: the pool chunk buffers come from, to check they all come back.</summary>
    internal ChunkPool? Pool { get; init; }
}

/// <summary>Settings of the receiving side.</summary>
public sealed record ReceiveOptions
{
    /// <summary>The directory incoming roots are stored in; created if missing.</summary>
    public required string Destination { get; init; }

    public ConflictPolicy OnConflict { get; init; } = ConflictPolicy.Rename;

    /// <summary>Chunks each pipeline block may hold.</summary>
    public int Capacity { get; init; } = SendOptions.DefaultCapacity;

    /// <summary>Chunks decompressed at the same time before the writer (which writes files in order, one chunk at a time).</summary>
    public int Writers { get; init; } = 2;

    /// <summary>Streams one transfer may use, its main connection included; a sender asking for more gets this many.</summary>
    public int MaxStreams { get; init; } = 8;

    /// <summary>How long a peer may take to say hello and make its offer before it is dropped.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Files a peer may have declared but not finished at any time.</summary>
    public int MaxPendingFiles { get; init; } = 65_536;

    /// <summary>Entries (files, directories, links) one transfer may declare in all; each costs the receiver memory until the end.</summary>
    public long MaxEntries { get; init; } = 10_000_000;

    /// <summary>Names in one declared path (its root included): how deep a tree a peer may make.</summary>
    public int MaxDepth { get; init; } = 256;

    /// <summary>Files that may be open for writing at the same time.</summary>
    public int MaxOpenFiles { get; init; } = 256;

    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Heartbeats and how long a silent sender is given before the connection counts as lost.</summary>
    public SessionTiming Timing { get; init; } = SessionTiming.Default;

    /// <summary>
    /// Refuse names Windows would misread (device names, trailing dots and spaces, <c>a:b</c>) and treat names that
    /// differ only in case or Unicode form as the same, on any platform: for a tree that must stay portable. Always
    /// on when the receiver runs on Windows.
    /// </summary>
    public bool PortableNames { get; init; }

    /// <summary>
    /// This receiver's identity. With one, a peer that opens with TLS is authenticated (see <see cref="TrustedPeers"/>)
    /// and a plaintext peer is refused unless <see cref="AllowPlaintext"/>. Without one, connections are plaintext.
    /// </summary>
    public Security.PeerIdentity? Identity { get; init; }

    /// <summary>Peer IDs allowed to send here over TLS (this installation's own ID always is).</summary>
    public IReadOnlySet<Security.PeerId> TrustedPeers { get; init; } = new HashSet<Security.PeerId>();

    /// <summary>
    /// Asked about a peer not in <see cref="TrustedPeers"/> when it connects (the CLI re-reads its trust list, so a
    /// peer trusted while the receiver runs is accepted without a restart).
    /// </summary>
    public Func<Security.PeerId, bool>? IsTrusted { get; init; }

    /// <summary>With an <see cref="Identity"/>: also accept plaintext and untrusted peers (<c>--insecure</c>).</summary>
    public bool AllowPlaintext { get; init; }

    /// <summary>
    /// Create the symbolic links a sender declares (<c>--allow-symlinks</c>), each only when its target resolves inside
    /// the destination (<see cref="Files.SafePath.UnsafeLinkTarget"/>). Off: every link entry fails, named, and nothing is created.
    /// </summary>
    public bool AllowSymlinks { get; init; }

    /// <summary>
    /// A daemon's named shares (<c>peerflow serve</c>): a sender names one as the first name of its target
    /// (<c>HOST:PORT/SHARE[/PATH]</c>) and the transfer runs with that share's directory, trusted peers and policies
    /// instead of this object's. Null: a plain receiver into <see cref="Destination"/>.
    /// </summary>
    public IReadOnlyList<ReceiveShare>? Shares { get; init; }

    /// <summary>What a sync sender may do here: replace changed files and delete (the default), only replace, or nothing.</summary>
    public Sync.SyncPolicy Sync { get; init; } = PeerFlow.Sync.SyncPolicy.Allow;

    /// <summary>What a sync deletes always goes to the trash (<c>.peerflow/trash/</c> in its target), whatever the sender asks.</summary>
    public bool Trash { get; init; }

    /// <summary>Refuse a transfer up front when the destination's free space is less than the bytes it announces.</summary>
    public bool CheckFreeSpace { get; init; } = true;

    /// <summary>
    /// How long the data kept from an interrupted transfer (partial files and their journal) waits for the sender
    /// to come back before it is deleted.
    /// </summary>
    public TimeSpan PartialMaxAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Tests: the pool chunk buffers come from, to check they all come back.</summary>
    internal ChunkPool? Pool { get; init; }

    /// <summary>With several streams: bytes of early chunks held in memory before they are written ahead and read back.</summary>
    internal long ReorderMemory { get; init; } = Pipeline.DestinationWriter.HoldLimit;
}
