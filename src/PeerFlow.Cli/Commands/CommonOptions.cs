using System.CommandLine;
using System.Globalization;

using PeerFlow.Compression;
using PeerFlow.Files;
using PeerFlow.Plugins;
using PeerFlow.Transfers;
using PeerFlow.Transports;

namespace PeerFlow.Cli.Commands;

/// <summary>Options shared by the transfer verbs, declared once.</summary>
internal sealed partial class CommonOptions
{
    public Option<string?> Transport { get; } = new("--transport") { Description = "Transport plugin to use (see 'peerflow plugins'); default tcp, loopback for copy" };

    public Option<string> Compression { get; } = new("--compression") { Description = "LZ4 per chunk: auto (while the link is the bottleneck), lz4 (always), none", DefaultValueFactory = _ => "auto" };

    public Option<string?> ChunkSize { get; } = new("--chunk-size") { Description = "Fixed chunk size, e.g. 256K, 1M, 4M (default: adaptive, 256 KiB to 1 MiB)" };

    public Option<string?> BandwidthLimit { get; } = new("--bwlimit") { Description = "Send at most this many bytes per second on the wire, e.g. 500K, 10M (default: no limit)" };

    public Option<int> Streams { get; } = new("--streams") { Description = "Spread the data over this many streams: extra TCP connections, or QUIC streams (1 to 16; the receiver may allow fewer)", DefaultValueFactory = _ => 1 };

    public Option<string> Output { get; } = new("--output") { Description = "Output format", DefaultValueFactory = _ => "text" };

    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Show stack traces and debug logs" };

    public Option<double> PeerTimeout { get; } = new("--peer-timeout") { Description = "Seconds without a sign of the peer before the connection counts as lost (heartbeats keep a quiet link alive)", DefaultValueFactory = _ => 15 };

    public Option<string?> PluginsDir { get; } = new("--plugins-dir") { Description = $"Where transport plugins are (default: ${TransportCatalog.DirectoryVariable}, else plugins/ next to peerflow)" };

    public Option<string?> Home { get; } = new("--home") { Description = $"PeerFlow home: this peer's identity and the peers it trusts (default: ${Security.PeerIdentity.HomeVariable}, else ~/.config/peerflow)" };

    public Option<bool> Insecure { get; } = new("--insecure") { Description = "No encryption and no authentication (trusted networks and benchmarks only); the peer must allow it too" };

    public CommonOptions()
    {
        Compression.AcceptOnlyFromAmong("auto", "lz4", "none");
        Output.AcceptOnlyFromAmong("text", "json");
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Transport);
        command.Options.Add(Compression);
        command.Options.Add(ChunkSize);
        command.Options.Add(Output);
        command.Options.Add(Verbose);
        command.Options.Add(PeerTimeout);
        command.Options.Add(PluginsDir);
        command.Options.Add(Home);
        command.Options.Add(Insecure);
        command.Options.Add(ConfigFile);
    }

    /// <summary>This installation's identity (created on first use, which is worth a note).</summary>
    public Security.PeerIdentity LoadIdentity(ParseResult result, Rendering.Renderer renderer)
    {
        try
        {
            var identity = Security.PeerIdentity.LoadOrCreate(result.GetValue(Home));
            if (identity.Created)
            {
                renderer.Note($"created this peer's identity in {identity.Directory} (peer ID {identity.Id})");
            }

            return identity;
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new IOException($"cannot read this peer's identity in {result.GetValue(Home) ?? Security.PeerIdentity.DefaultHome()}: {ex.Message}", ex);
        }
    }

    public ITransportFactory ResolveTransport(ParseResult result, string defaultName)
    {
        var catalog = TransportCatalog.Load(result.GetValue(PluginsDir));
        var name = Given(result, Transport) ? result.GetValue(Transport)! : Config.Pipeline?.Transport?.Name ?? defaultName;
        try
        {
            return catalog.Get(name);
        }
        catch (KeyNotFoundException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    /// <summary>Heartbeats every third of the peer timeout (at most 5 s), so a live peer is never mistaken for a dead one.</summary>
    public Session.SessionTiming Timing(ParseResult result)
    {
        var seconds = Pick(result, PeerTimeout, Config.Pipeline?.PeerTimeoutSeconds);
        if (!(seconds >= 0.1 && seconds <= 86_400))
        {
            throw new UsageException($"--peer-timeout must be between 0.1 and 86400 seconds, not {seconds}");
        }

        var timeout = TimeSpan.FromSeconds(seconds);
        return new Session.SessionTiming(TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, timeout.Ticks / 3)), timeout);
    }

    public SendOptions SendOptions(ParseResult result, int reconnects = 0, string? target = null, PeerFlow.Sync.SyncOptions? sync = null) => new()
    {
        Target = target,
        Sync = sync,
        Timing = Timing(result),
        Reconnects = reconnects,
        Compression = PickText(result, Compression, Config.Pipeline?.Compression) switch
        {
            "none" => CompressionMode.None,
            "lz4" => CompressionMode.Lz4,
            _ => CompressionMode.Auto,
        },
        ChunkSize = ParseChunkSize(Pick(result, ChunkSize, Config.Pipeline?.ChunkSize)),
        Readers = Config.Pipeline?.Readers ?? Transfers.SendOptions.DefaultReaders,
        CompressionLevel = Config.Pipeline?.CompressionLevel ?? 0,
        RawBelow = Config.Pipeline?.RawBelow is { } rawBelow ? (int)Math.Min(ParseSize(rawBelow, "pipeline.rawBelow"), int.MaxValue) : PeerFlow.Compression.ChunkCompressor.DefaultRawBelow,
        BandwidthLimit = Pick(result, BandwidthLimit, Config.Pipeline?.BandwidthLimit) is { } rate ? ParseRate(rate) : null,
        Capacity = Config.Pipeline?.Capacity ?? Transfers.SendOptions.DefaultCapacity,
        Streams = Pick(result, Streams, Config.Pipeline?.Streams) is >= 1 and <= Protocol.ProtocolConstants.MaxExtraStreams + 1 and var streams
            ? streams
            : throw new UsageException($"--streams must be between 1 and {Protocol.ProtocolConstants.MaxExtraStreams + 1}"),
    };

    /// <summary>--reconnects (or the file's send.reconnects), checked.</summary>
    public static int Reconnects(ParseResult result, Option<int> option, int? fromFile)
        => Pick(result, option, fromFile) is >= 0 and <= 1000 and var value ? value : throw new UsageException("--reconnects must be between 0 and 1000");

    public bool IsJson(ParseResult result) => result.GetValue(Output) == "json";

    public static ChunkSizePolicy ParseChunkSize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            return ChunkSizePolicy.Default;
        }

        var size = ParseSize(text, "--chunk-size");
        if (size < 4096 || size > Protocol.ProtocolConstants.MaxChunkSize)
        {
            throw new UsageException($"--chunk-size must be between 4K and {Protocol.ProtocolConstants.MaxChunkSize / (1024 * 1024)}M, not '{text}'");
        }

        return ChunkSizePolicy.Fixed((int)size);
    }

    public static long ParseRate(string text)
    {
        var rate = ParseSize(text, "--bwlimit");
        return rate >= 1024 ? rate : throw new UsageException($"--bwlimit must be at least 1K (bytes per second), not '{text}'");
    }

    public static long ParseSize(string text, string optionName)
    {
        var trimmed = text.Trim();
        long multiplier = 1;
        var suffix = char.ToUpperInvariant(trimmed[^1]);
        if (suffix is 'K' or 'M' or 'G')
        {
            multiplier = suffix switch { 'K' => 1024, 'M' => 1024 * 1024, _ => 1024L * 1024 * 1024 };
            trimmed = trimmed[..^1];
        }

        if (!long.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new UsageException($"{optionName}: '{text}' is not a size (e.g. 512K, 1M)");
        }

        return value * multiplier;
    }

    public static ConflictPolicy ParseConflict(string text) => text switch
    {
        "rename" => ConflictPolicy.Rename,
        "overwrite" => ConflictPolicy.Overwrite,
        "skip" => ConflictPolicy.Skip,
        "fail" => ConflictPolicy.Fail,
        _ => throw new UsageException($"--on-conflict must be rename, overwrite, skip or fail, not '{text}'"),
    };

    public static Option<string> CreateConflictOption()
    {
        var option = new Option<string>("--on-conflict")
        {
            Description = "When a received root already exists: rename (name (1).ext), overwrite (after verification), skip, fail",
            DefaultValueFactory = _ => "rename",
        };
        option.AcceptOnlyFromAmong("rename", "overwrite", "skip", "fail");
        return option;
    }
}
