using System.CommandLine;

using System.Net;

using PeerFlow.Cli.Rendering;
using PeerFlow.Files;
using PeerFlow.Security;
using PeerFlow.Transfers;
using PeerFlow.Transports;

namespace PeerFlow.Cli.Commands.Send;

/// <summary><c>peerflow send PATH... --to HOST:PORT</c></summary>
internal static class SendCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var paths = new Argument<string[]>("paths") { Description = "Files and directories to send", Arity = ArgumentArity.OneOrMore };
        var to = new Option<string?>("--to") { Description = "The receiver, HOST:PORT[/PATH] (PATH: where below its destination, or SHARE[/PATH] on a daemon; or send.to in --config)" };
        var reconnects = new Option<int>("--reconnects") { Description = "How many times in a row to reconnect after the connection is lost; each time the transfer continues where it stopped", DefaultValueFactory = _ => 5 };
        var peer = new Option<string?>("--peer") { Description = "The receiver's peer ID ('peerflow id' on the receiver); the transfer is refused if it presents another" };
        var links = new Option<bool>("--links") { Description = "Send symbolic links below the sources as links (the receiver must allow them: receive --allow-symlinks); without it they are skipped with a warning" };
        var command = new Command("send", "Send files and directories to a receiver (run it again after an interruption: it continues where it stopped)") { paths, to, reconnects, peer, links };
        common.AddTo(command);
        command.Options.Add(common.BandwidthLimit);
        command.Options.Add(common.Streams);
        command.Options.Add(common.Exclude);
        command.Options.Add(common.Include);
        command.SetAction((result, token) => CommandRunner.RunAsync(result, common, async (renderer, ct) =>
        {
            // On the other core while this one loads the transport, walks the sources and connects.
            Warmup.Start();
            var file = common.Config.Send;
            var identity = LoadIdentityInBackground(result, common, renderer);
            var address = CommonOptions.Pick(result, to, file?.To) ?? throw new UsageException("where to send is missing: --to HOST:PORT (or send.to in --config)");
            var (endPoint, target) = EndPointParser.ParseWithPath(address, "--to");
            var sources = Sources(result.GetValue(paths)!, CommonOptions.Switch(result, links, file?.Links), common.Filter(result));
            var measuring = Task.Run(sources.Measure, ct);
            var options = common.SendOptions(result, CommonOptions.Reconnects(result, reconnects, file?.Reconnects), target);
            var transport = common.ResolveTransport(result, "tcp");
            var connect = Connector(result, common, renderer, transport, endPoint, CommonOptions.Pick(result, peer, file?.Peer), identity);
            await measuring.ConfigureAwait(false);
            using var control = new TransferControl();
            using var keys = KeyControls.Start(control, renderer);
            var outcome = await renderer.RunAsync(observer => TransferSender.SendAsync(connect, sources, options, observer, ct, control)).ConfigureAwait(false);
            renderer.Completed(outcome);
            return outcome.Success ? ExitCodes.Success : ExitCodes.TransferFailed;
        }, token));
        return command;
    }

    /// <summary>
    /// How the sender reaches the receiver: TLS with this peer's identity over a stream transport (checking the
    /// receiver's ID against --peer when given), plaintext with --insecure, the transport itself when it secures
    /// its connections or never leaves the process.
    /// </summary>
    /// <summary>
    /// Loads this peer's identity and readies its TLS certificate on the idle core from the start (see
    /// <see cref="PeerIdentity.CertificateContext"/>); null with --insecure. Unused when the transport needs no TLS.
    /// </summary>
    internal static Task<PeerIdentity>? LoadIdentityInBackground(ParseResult result, CommonOptions common, Renderer renderer)
    {
        if (CommonOptions.Switch(result, common.Insecure, common.Config.Send?.Insecure))
        {
            return null;
        }

        // Its own thread: on two cores the pool's workers are busy with the walk and the transfer's start, and
        // this would wait its turn for a tenth of a second and more.
        return Task.Factory.StartNew(() =>
        {
            var identity = common.LoadIdentity(result, renderer);
            _ = identity.CertificateContext;
            return identity;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    internal static Func<CancellationToken, ValueTask<ITransportConnection>> Connector(ParseResult result, CommonOptions common, Renderer renderer, ITransportFactory transport, EndPoint endPoint, string? peer, Task<PeerIdentity>? identity)
    {
        PeerId? expected = null;
        if (peer is not null)
        {
            expected = PeerId.TryParse(peer, out var id)
                ? id
                : throw new UsageException($"--peer: '{peer}' is not a peer ID (32 base32 characters, as 'peerflow id' prints it)");
        }

        Func<CancellationToken, ValueTask<ITransportConnection>> plain = c => transport.ConnectAsync(endPoint, common.TransportOptions(), c);
        if (!TlsLayer.UsesIdentity(transport))
        {
            return plain;
        }

        if (identity is null)
        {
            if (expected is not null)
            {
                throw new UsageException("--peer needs encryption: it cannot be checked with --insecure");
            }

            if (TlsLayer.SecuresItself(transport))
            {
                // QUIC is encrypted anyway, but with --insecure nobody's identity is checked.
                renderer.Warning("--insecure: the receiver is NOT authenticated (the connection is still encrypted by the transport)");
                return plain;
            }

            renderer.Warning("--insecure: this transfer is NOT encrypted and the receiver is NOT authenticated; anyone on the network path can read or change it");
            return plain;
        }

        var announced = false;
        return async c =>
        {
            var connection = await TlsLayer.ConnectAsync(transport, endPoint, identity, expected, common.TransportOptions(), c).ConfigureAwait(false);

            if (!announced && TlsLayer.RemoteId(connection) is { } presented)
            {
                announced = true;
                renderer.PeerNote(expected is null
                    ? $"encrypted; the receiver's peer ID is {presented} (not checked: pass --peer {presented} to be sure it is the machine you mean)"
                    : $"encrypted; the receiver's peer ID {presented} is the one expected (--peer)");
            }

            return connection;
        };
    }

    public static SourceSet Sources(IEnumerable<string> paths, bool links = false, PathFilter? filter = null)
    {
        try
        {
            return new SourceSet(paths, links, filter);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message);
        }
    }
}
