using System.CommandLine;

using Microsoft.Extensions.Logging;

using PeerFlow.Security;
using PeerFlow.Sync;
using PeerFlow.Transfers;

namespace PeerFlow.Cli.Commands.Receive;

/// <summary><c>peerflow receive --listen HOST:PORT --dest DIR [--once]</c></summary>
internal static class ReceiveCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var listen = new Option<string?>("--listen") { Description = "Where to listen, HOST:PORT (port 0 picks a free one), or receive.listen in --config" };
        var dest = new Option<string?>("--dest") { Description = "Directory to store received files in, or receive.dest in --config" };
        var once = new Option<bool>("--once") { Description = "Exit after one transfer (its result is the exit code); a dropped connection is not the end: it waits for the sender to come back" };
        var maxConnections = new Option<int>("--max-connections") { Description = "Connections served at the same time (a transfer's extra data streams count); more wait (unanswered) until one ends", DefaultValueFactory = _ => 8 };
        var maxStreams = new Option<int>("--max-streams") { Description = "Streams one transfer may use (send --streams), its main connection included", DefaultValueFactory = _ => 8 };
        var keepPartial = new Option<double>("--keep-partial-days") { Description = "Days the data of an interrupted transfer is kept for the sender to resume it", DefaultValueFactory = _ => 7 };
        var trust = new Option<string[]>("--trust") { Description = $"Accept transfers from this peer ID (repeatable); also trusted: the IDs in {TrustList.FileName} in the PeerFlow home ('peerflow trust add') and this installation's own", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var allowSymlinks = new Option<bool>("--allow-symlinks") { Description = "Create the symbolic links a sender sends (send --links), each only if its target stays inside DIR; without it they are refused, named" };
        var maxEntries = new Option<long>("--max-entries") { Description = "Entries (files, directories, links) one transfer may declare", DefaultValueFactory = _ => 10_000_000 };
        var maxDepth = new Option<int>("--max-depth") { Description = "How many names deep a received path may be", DefaultValueFactory = _ => 256 };
        var handshakeTimeout = new Option<double>("--handshake-timeout") { Description = "Seconds a connecting peer has to authenticate and make its offer before it is dropped", DefaultValueFactory = _ => 15 };
        var sync = new Option<string?>("--sync") { Description = "What a sync sender may do: allow (replace changed files, delete when asked; the default), no-delete (replace, never delete), refuse" };
        sync.AcceptOnlyFromAmong("allow", "no-delete", "refuse");
        var trash = new Option<bool>("--trash") { Description = "What a sync deletes always goes to the trash (.peerflow/trash/DATE/ in its target), whatever the sender asks" };
        var conflict = CommonOptions.CreateConflictOption();
        var command = new Command("receive", "Receive transfers into a directory") { listen, dest, once, conflict, keepPartial, maxConnections, maxStreams, trust, allowSymlinks, maxEntries, maxDepth, handshakeTimeout, sync, trash };
        common.AddTo(command);
        command.SetAction((result, token) => CommandRunner.RunAsync(result, common, async (renderer, ct) =>
        {
            var file = common.Config.Receive;
            var endPoint = EndPointParser.Parse(CommonOptions.Pick(result, listen, file?.Listen) ?? throw new UsageException("where to listen is missing: --listen HOST:PORT (or receive.listen in --config)"), "--listen");
            var destination = CommonOptions.Pick(result, dest, file?.Dest) ?? throw new UsageException("where to store is missing: --dest DIR (or receive.dest in --config)");
            var transport = common.ResolveTransport(result, "tcp");
            var home = result.GetValue(common.Home);
            var trusted = TrustedPeers([.. result.GetValue(trust) ?? [], .. file?.Trust ?? []], home);
            var insecure = CommonOptions.Switch(result, common.Insecure, file?.Insecure);
            using var identity = TlsLayer.UsesIdentity(transport) ? common.LoadIdentity(result, renderer) : null;
            var options = new ReceiveOptions
            {
                Destination = destination,
                OnConflict = CommonOptions.ParseConflict(CommonOptions.PickText(result, conflict, file?.OnConflict)),
                Timing = common.Timing(result),
                PartialMaxAge = CommonOptions.Pick(result, keepPartial, file?.KeepPartialDays) is >= 0 and <= 36_500 and var days
                    ? TimeSpan.FromDays(days)
                    : throw new UsageException("--keep-partial-days must be between 0 and 36500"),
                Identity = identity,
                TrustedPeers = trusted,
                IsTrusted = id => TrustedLater(id, home),
                AllowPlaintext = insecure,
                AllowSymlinks = CommonOptions.Switch(result, allowSymlinks, file?.AllowSymlinks),
                Capacity = common.Config.Pipeline?.Capacity ?? SendOptions.DefaultCapacity,
                Writers = common.Config.Pipeline?.Writers ?? 2,
                MaxStreams = CommonOptions.Pick(result, maxStreams, file?.MaxStreams) is >= 1 and <= 16 and var streams ? streams : throw new UsageException("--max-streams must be between 1 and 16"),
                MaxEntries = CommonOptions.Pick(result, maxEntries, file?.MaxEntries) is >= 1 and var entries ? entries : throw new UsageException("--max-entries must be at least 1"),
                MaxDepth = CommonOptions.Pick(result, maxDepth, file?.MaxDepth) is >= 1 and <= 4096 and var depth ? depth : throw new UsageException("--max-depth must be between 1 and 4096"),
                HandshakeTimeout = CommonOptions.Pick(result, handshakeTimeout, file?.HandshakeTimeoutSeconds) is >= 0.1 and <= 3600 and var seconds ? TimeSpan.FromSeconds(seconds) : throw new UsageException("--handshake-timeout must be between 0.1 and 3600 seconds"),
                Sync = (CommonOptions.Pick(result, sync, file?.Sync) ?? "allow") switch
                {
                    "no-delete" => SyncPolicy.NoDelete,
                    "refuse" => SyncPolicy.Refuse,
                    _ => SyncPolicy.Allow,
                },
                Trash = CommonOptions.Switch(result, trash, file?.Trash),
            };
            var bindOptions = identity is not null && TlsLayer.SecuresItself(transport) ? TlsLayer.WithCertificate(common.TransportOptions(), identity.Certificate) : common.TransportOptions();
            await using var listener = await transport.BindAsync(endPoint, bindOptions, ct).ConfigureAwait(false);
            var address = EndPointParser.Format(listener.LocalEndPoint);
            if (insecure && identity is not null)
            {
                renderer.Warning($"--insecure: accepting UNENCRYPTED, UNAUTHENTICATED transfers from anyone who can reach {address}");
            }

            renderer.Listening(address, identity?.Id.Text);
            if (identity is not null)
            {
                // While no peer is here yet (see PeerIdentity.CertificateContext).
                _ = Task.Run(() => identity.CertificateContext, CancellationToken.None);
            }

            using var logging = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(result.GetValue(common.Verbose) ? LogLevel.Debug : LogLevel.Warning));
            var connections = CommonOptions.Pick(result, maxConnections, file?.MaxConnections) is >= 1 and <= 10_000 and var n ? n : throw new UsageException("--max-connections must be between 1 and 10000");
            var server = new ReceiveServer(listener, options, logging.CreateLogger("peerflow.receive"), () => renderer.ForTransfer(), connections);
            var outcome = await server.RunAsync(CommonOptions.Switch(result, once, file?.Once), ct).ConfigureAwait(false);
            if (outcome is null)
            {
                return ExitCodes.Success;
            }

            return outcome.Success ? ExitCodes.Success : ExitCodes.TransferFailed;
        }, token));
        return command;
    }

    /// <summary>Whether the trust list trusts <paramref name="id"/> now (it may have been added since the start).</summary>
    private static bool TrustedLater(PeerId id, string? home)
    {
        try
        {
            return TrustList.Load(home).Ids.Contains(id);
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The IDs given with --trust and those in the home's trust list.</summary>
    private static HashSet<PeerId> TrustedPeers(string[] given, string? home)
    {
        var trusted = new HashSet<PeerId>();
        foreach (var text in given)
        {
            trusted.Add(PeerId.TryParse(text, out var id)
                ? id
                : throw new UsageException($"--trust: '{text}' is not a peer ID (32 base32 characters, as 'peerflow id' prints it)"));
        }

        try
        {
            trusted.UnionWith(TrustList.Load(home).Ids);
        }
        catch (FormatException ex)
        {
            throw new UsageException(ex.Message);
        }

        return trusted;
    }
}
