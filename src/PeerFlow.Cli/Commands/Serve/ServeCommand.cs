using System.CommandLine;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using PeerFlow.Configuration;
using PeerFlow.Security;
using PeerFlow.Sync;
using PeerFlow.Transfers;

namespace PeerFlow.Cli.Commands.Serve;

/// <summary>
/// <c>peerflow serve --config daemon.json</c>: a long-running receiver with named shares, hosted by
/// Microsoft.Extensions.Hosting (systemd notification and journal-style logs under systemd; graceful stop on SIGTERM:
/// running transfers keep what arrived for their senders to resume).
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var listen = new Option<string?>("--listen") { Description = "Where to listen, HOST:PORT (overrides serve.listen)" };
        var command = new Command("serve", "Run a receiving daemon with named shares (serve section of --config)") { listen };
        common.AddTo(command);
        command.SetAction((result, token) => CommandRunner.RunAsync(result, common, async (renderer, ct) =>
        {
            var serve = common.Config.Serve ?? throw new UsageException("serve needs a configuration with a serve section and its shares: --config daemon.json (see config/daemon.json)");
            var file = common.Config.Receive;
            var endPoint = EndPointParser.Parse(CommonOptions.Pick(result, listen, serve.Listen) ?? throw new UsageException("where to listen is missing: --listen HOST:PORT (or serve.listen in --config)"), "--listen");
            var transport = common.ResolveTransport(result, "tcp");
            var insecure = CommonOptions.Switch(result, common.Insecure, serve.Insecure);
            using var identity = TlsLayer.UsesIdentity(transport) ? common.LoadIdentity(result, renderer) : null;
            var shares = Shares(serve);
            var controlSocket = ControlSocketPath(serve, result.GetValue(common.Home));
            var options = new ReceiveOptions
            {
                Destination = shares[0].Path,
                Shares = shares,
                Identity = identity,
                AllowPlaintext = insecure,
                Timing = common.Timing(result),
                PartialMaxAge = TimeSpan.FromDays(file?.KeepPartialDays ?? 7),
                Capacity = common.Config.Pipeline?.Capacity ?? SendOptions.DefaultCapacity,
                Writers = common.Config.Pipeline?.Writers ?? 2,
                MaxStreams = file?.MaxStreams ?? 8,
                MaxEntries = file?.MaxEntries ?? 10_000_000,
                MaxDepth = file?.MaxDepth ?? 256,
                HandshakeTimeout = TimeSpan.FromSeconds(file?.HandshakeTimeoutSeconds ?? 15),
            };
            var bindOptions = identity is not null && TlsLayer.SecuresItself(transport) ? TlsLayer.WithCertificate(common.TransportOptions(), identity.Certificate) : common.TransportOptions();
            await using var listener = await transport.BindAsync(endPoint, bindOptions, ct).ConfigureAwait(false);
            if (insecure && identity is not null)
            {
                renderer.Warning($"--insecure: accepting UNENCRYPTED, UNAUTHENTICATED transfers into every share from anyone who can reach {EndPointParser.Format(listener.LocalEndPoint)}");
            }

            // Up before the host, so that a socket another daemon still answers on is an error with an exit code.
            var registry = new TransferRegistry();
            await using var control = new ControlSocket(controlSocket, registry);
            control.Start();
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Services.AddSystemd();
            builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(result.GetValue(common.Verbose) ? LogLevel.Debug : LogLevel.Information);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            if (serve.LogFormat == "json")
            {
                builder.Logging.AddJsonConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ");
            }
            else if (Microsoft.Extensions.Hosting.Systemd.SystemdHelpers.IsSystemdService())
            {
                // AddSystemd chose the journal's format (priority prefixes, no timestamps: journald adds them).
                builder.Logging.AddConsole();
            }
            else
            {
                builder.Logging.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ssZ ";
                    o.UseUtcTimestamp = true;
                });
            }

            builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Services.AddHostedService(services => new ServeService(listener, options, common.Config.Receive?.MaxConnections ?? 16, services.GetRequiredService<ILoggerFactory>(), renderer, identity?.Id.Text, control, registry));
            using var host = builder.Build();
            await host.RunAsync(ct).ConfigureAwait(false);
            return ExitCodes.Success;
        }, token));
        return command;
    }

    /// <summary>Where the control interface listens: serve.controlSocket, else control.sock in the PeerFlow home (owner-only).</summary>
    internal static string ControlSocketPath(ServeConfig? serve, string? home)
    {
        if (serve?.ControlSocket is { } configured)
        {
            return Path.GetFullPath(configured);
        }

        var directory = Path.GetFullPath(home ?? PeerIdentity.DefaultHome());
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return Path.Join(directory, "control.sock");
    }

    /// <summary>The shares of the configuration, checked: unique names, directories that exist or can be made, peer IDs that parse.</summary>
    private static List<ReceiveShare> Shares(ServeConfig serve)
    {
        var shares = new List<ReceiveShare>();
        foreach (var share in serve.Shares ?? [])
        {
            if (shares.Any(s => s.Name == share.Name))
            {
                throw new UsageException($"serve.shares: two shares are named '{share.Name}'");
            }

            var path = Path.GetFullPath(share.Path!);
            try
            {
                Directory.CreateDirectory(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"serve.shares: share '{share.Name}': cannot use '{path}': {ex.Message}");
            }

            var trusted = new HashSet<PeerId>();
            foreach (var text in share.Trust ?? [])
            {
                trusted.Add(PeerId.TryParse(text, out var id) ? id : throw new UsageException($"serve.shares: share '{share.Name}': '{text}' is not a peer ID"));
            }

            shares.Add(new ReceiveShare(share.Name!, path)
            {
                TrustedPeers = trusted,
                Sync = share.Sync switch { "no-delete" => SyncPolicy.NoDelete, "refuse" => SyncPolicy.Refuse, _ => SyncPolicy.Allow },
                Trash = share.Trash ?? false,
                OnConflict = CommonOptions.ParseConflict(share.OnConflict ?? "rename"),
                AllowSymlinks = share.AllowSymlinks ?? false,
            });
        }

        return shares.Count > 0 ? shares : throw new UsageException("serve.shares: at least one share is needed");
    }
}
