using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace PeerFlow.Configuration;

/// <summary>
/// A PeerFlow configuration file: how the pipeline runs and what <c>send</c> and <c>receive</c> do, each section
/// optional. Every property is checked (type, range, allowed values); an unknown property is an error, never
/// ignored. Options given on the command line override the file. Schema: <c>config/schema/peerflow.schema.json</c>.
/// </summary>
[Description("PeerFlow configuration: the pipeline, and what send and receive do. Command-line options override it.")]
public sealed class PeerFlowConfig
{
    /// <summary>Where the schema is, for editors; not used by PeerFlow.</summary>
    [JsonPropertyName("$schema")]
    [Description("Where this file's JSON schema is (for editors); ignored by PeerFlow.")]
    public string? Schema { get; set; }

    [Description("How data moves through the transfer pipeline (both sides).")]
    public PipelineConfig? Pipeline { get; set; }

    [Description("What 'peerflow send' does.")]
    public SendConfig? Send { get; set; }

    [Description("What 'peerflow receive' does.")]
    public ReceiveConfig? Receive { get; set; }

    [Description("What 'peerflow sync' does besides what it shares with send (to, peer, reconnects, links, insecure come from the send section).")]
    public SyncConfig? Sync { get; set; }

    [Description("What 'peerflow serve' does: a long-running receiver with named shares.")]
    public ServeConfig? Serve { get; set; }

    [Description("Named jobs for 'peerflow run FILE': each a send, sync, receive or copy, run one after another.")]
    public List<JobConfig>? Jobs { get; set; }
}

/// <summary>
/// One job of <c>peerflow run</c>: a verb with its paths, and sections that override the file's own for this job.
/// </summary>
public sealed class JobConfig
{
    [Description("The job's name: how 'peerflow run FILE NAME' picks it and how its result line names it.")]
    [Required]
    [RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    public string? Name { get; set; }

    [Description("What the job does: send (paths to send.to), sync (one directory mirrored to send.to), receive (into receive.dest), copy (paths into dest, in-process).")]
    [Required]
    [AllowedValues("send", "sync", "receive", "copy")]
    public string? Verb { get; set; }

    [Description("send and copy: the files and directories to send or copy; sync: the one directory to mirror.")]
    public List<string>? Paths { get; set; }

    [Description("copy: the destination directory.")]
    [MinLength(1)]
    public string? Dest { get; set; }

    [Description("This job's pipeline settings, over the file's.")]
    public PipelineConfig? Pipeline { get; set; }

    [Description("This job's send settings, over the file's.")]
    public SendConfig? Send { get; set; }

    [Description("This job's receive settings, over the file's.")]
    public ReceiveConfig? Receive { get; set; }

    [Description("This job's sync settings, over the file's.")]
    public SyncConfig? Sync { get; set; }
}

/// <summary>What <c>peerflow serve</c> does: where it listens and the shares it serves (limits come from the receive section).</summary>
public sealed class ServeConfig
{
    [Description("Where to listen: HOST:PORT (port 0 picks a free one), or unix:/path.")]
    [MinLength(1)]
    public string? Listen { get; set; }

    [Description("Also accept unencrypted, unauthenticated senders (into every share).")]
    public bool? Insecure { get; set; }

    [Description("The local control interface, a Unix domain socket only its owner may use (default: control.sock in the PeerFlow home).")]
    [MinLength(1)]
    public string? ControlSocket { get; set; }

    [Description("Log lines as text (the default; systemd's format under systemd) or as one JSON object per line.")]
    [AllowedValues("text", "json")]
    public string? LogFormat { get; set; }

    [Description("The shares: a sender names one as HOST:PORT/SHARE[/PATH].")]
    [Required]
    [MinLength(1)]
    public List<ShareConfig>? Shares { get; set; }
}

/// <summary>One share of <c>peerflow serve</c>.</summary>
public sealed class ShareConfig
{
    [Description("The share's name, as senders use it in HOST:PORT/SHARE.")]
    [Required]
    [RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    public string? Name { get; set; }

    [Description("The directory transfers into this share go to (created if missing).")]
    [Required]
    [MinLength(1)]
    public string? Path { get; set; }

    [Description("Peer IDs that may send into this share (this installation's own ID always may).")]
    public List<string>? Trust { get; set; }

    [Description("What a sync sender may do here: allow (the default), no-delete, refuse.")]
    [AllowedValues("allow", "no-delete", "refuse")]
    public string? Sync { get; set; }

    [Description("What a sync deletes here always goes to the trash (.peerflow/trash/ in its target).")]
    public bool? Trash { get; set; }

    [Description("When a received root already exists: rename, overwrite, skip, fail.")]
    [AllowedValues("rename", "overwrite", "skip", "fail")]
    public string? OnConflict { get; set; }

    [Description("Create the symbolic links a sender sends, each only if its target stays inside the share.")]
    public bool? AllowSymlinks { get; set; }
}

/// <summary>What <c>peerflow sync</c> does (where to and how to connect: the send section).</summary>
public sealed class SyncConfig
{
    [Description("Compare files by content hash instead of size and modification time (reads every file of the same size on both sides).")]
    public bool? Checksum { get; set; }

    [Description("Delete what the receiver has below the target that the source no longer has (never what the source leaves out on purpose).")]
    public bool? Delete { get; set; }

    [Description("The most entries one sync may delete; more, and it deletes none. Absent: maxDeletePercent applies.")]
    [Range(typeof(long), "0", "9223372036854775807")]
    public long? MaxDelete { get; set; }

    [Description("Without maxDelete: a sync that would delete more than this percentage of the target's entries deletes none (default 50).")]
    [Range(0, 100)]
    public int? MaxDeletePercent { get; set; }

    [Description("Move deleted entries into the receiver's trash (.peerflow/trash/ in the target) instead of removing them.")]
    public bool? Trash { get; set; }

    [Description("Send changed files whole instead of only what differs from the receiver's version (delta transfer, the default for files of 64 KiB or more).")]
    public bool? WholeFile { get; set; }

    [Description("Only report what would be sent, updated and deleted; change nothing.")]
    public bool? DryRun { get; set; }
}

/// <summary>The pipeline's stages and their options.</summary>
public sealed class PipelineConfig
{
    [Description("Chunk size: 'auto' (256 KiB to 1 MiB by file size) or a fixed size from 4K to 4M, e.g. '1M'.")]
    [RegularExpression("^(auto|[0-9]+[KkMm]?)$")]
    public string? ChunkSize { get; set; }

    [Description("LZ4 per chunk: 'auto' (only while the link is the bottleneck), 'lz4' (always try), 'none'.")]
    [AllowedValues("auto", "lz4", "none")]
    public string? Compression { get; set; }

    [Description("LZ4 level when compressing: 0 (fast, the default) or 3 to 12 (high compression: smaller output, much slower).")]
    [Range(0, 12)]
    public int? CompressionLevel { get; set; }

    [Description("Chunks smaller than this are always sent raw, e.g. '64K' (default: 64 bytes).")]
    [RegularExpression("^[0-9]+[KkMm]?$")]
    public string? RawBelow { get; set; }

    [Description("Files read at the same time on the sending side.")]
    [Range(1, 64)]
    public int? Readers { get; set; }

    [Description("Receiving side: chunks decompressed at the same time before the writer, which writes each file in order.")]
    [Range(1, 64)]
    public int? Writers { get; set; }

    [Description("Streams the data is spread over (send): 1 is the one connection; more opens extra TCP connections or QUIC streams, when the receiver agrees.")]
    [Range(1, 16)]
    public int? Streams { get; set; }

    [Description("Items each pipeline stage may hold (bounded capacity): the memory per stage is about this many chunks.")]
    [Range(1, 1024)]
    public int? Capacity { get; set; }

    [Description("Send at most this many bytes per second on the wire (after compression), e.g. '500K', '10M'; absent: no limit.")]
    [RegularExpression("^[0-9]+[KkMmGg]?$")]
    public string? BandwidthLimit { get; set; }

    [Description("Seconds without any sign of the peer before its connection counts as lost.")]
    [Range(0.1, 86400.0)]
    public double? PeerTimeoutSeconds { get; set; }

    [Description("gitignore-style patterns of what to leave out below each source (send, copy); a source directory's .peerflowignore adds its own.")]
    public List<string>? Exclude { get; set; }

    [Description("Patterns sent even if an exclude pattern matches them.")]
    public List<string>? Include { get; set; }

    [Description("The transport plugin and its own options.")]
    public TransportConfig? Transport { get; set; }
}

/// <summary>A transport plugin by name, with options passed through to it.</summary>
public sealed class TransportConfig
{
    [Description("The transport's name, as 'peerflow plugins' lists it (tcp, loopback, ...).")]
    [RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    public string? Name { get; set; }

    [Description("Options for the transport plugin itself, passed through as text (e.g. TCP: socketBufferSize, inputBufferSize).")]
    public Dictionary<string, string>? Options { get; set; }
}

/// <summary>What <c>peerflow send</c> does.</summary>
public sealed class SendConfig
{
    [Description("The receiver: HOST:PORT, or unix:/path for the Unix-socket transport.")]
    [MinLength(1)]
    public string? To { get; set; }

    [Description("The receiver's peer ID; a receiver presenting another is refused.")]
    [RegularExpression("^[A-Za-z2-7 -]{32,40}$")]
    public string? Peer { get; set; }

    [Description("Times in a row to reconnect after the connection is lost.")]
    [Range(0, 1000)]
    public int? Reconnects { get; set; }

    [Description("Send symbolic links below the sources as links (the receiver must allow them).")]
    public bool? Links { get; set; }

    [Description("No encryption and no authentication (trusted networks and benchmarks only).")]
    public bool? Insecure { get; set; }
}

/// <summary>What <c>peerflow receive</c> does.</summary>
public sealed class ReceiveConfig
{
    [Description("Where to listen: HOST:PORT (port 0 picks a free one), or unix:/path.")]
    [MinLength(1)]
    public string? Listen { get; set; }

    [Description("Directory to store received files in.")]
    [MinLength(1)]
    public string? Dest { get; set; }

    [Description("Exit after one transfer.")]
    public bool? Once { get; set; }

    [Description("When a received root already exists: rename, overwrite, skip, fail.")]
    [AllowedValues("rename", "overwrite", "skip", "fail")]
    public string? OnConflict { get; set; }

    [Description("Peer IDs to accept transfers from (besides the trust list and this installation's own ID).")]
    public List<string>? Trust { get; set; }

    [Description("Create the symbolic links a sender sends, each only if its target stays inside the destination.")]
    public bool? AllowSymlinks { get; set; }

    [Description("Connections served at the same time (a transfer's extra data streams count).")]
    [Range(1, 10000)]
    public int? MaxConnections { get; set; }

    [Description("Streams one transfer may use, its main connection included; a sender asking for more gets this many.")]
    [Range(1, 16)]
    public int? MaxStreams { get; set; }

    [Description("Days the data of an interrupted transfer is kept for the sender to resume it.")]
    [Range(0.0, 36500.0)]
    public double? KeepPartialDays { get; set; }

    [Description("Entries (files, directories, links) one transfer may declare.")]
    [Range(typeof(long), "1", "9223372036854775807")]
    public long? MaxEntries { get; set; }

    [Description("How many names deep a received path may be.")]
    [Range(1, 4096)]
    public int? MaxDepth { get; set; }

    [Description("Seconds a connecting peer has to authenticate and make its offer.")]
    [Range(0.1, 3600.0)]
    public double? HandshakeTimeoutSeconds { get; set; }

    [Description("Also accept unencrypted, unauthenticated senders.")]
    public bool? Insecure { get; set; }

    [Description("What a sync sender may do: allow (replace changed files and delete, the default), no-delete (replace, never delete), refuse (no sync transfers).")]
    [AllowedValues("allow", "no-delete", "refuse")]
    public string? Sync { get; set; }

    [Description("What a sync deletes always goes to the trash (.peerflow/trash/ in its target), whatever the sender asks.")]
    public bool? Trash { get; set; }
}
