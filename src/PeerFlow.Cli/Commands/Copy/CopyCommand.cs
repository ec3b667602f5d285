using System.CommandLine;
using System.Net;

using PeerFlow.Cli.Commands.Send;
using PeerFlow.Transfers;

namespace PeerFlow.Cli.Commands.Copy;

/// <summary><c>peerflow copy PATH... DEST</c>: both ends of the pipeline in this process.</summary>
internal static class CopyCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var paths = new Argument<string[]>("paths") { Description = "Files and directories to copy, then the destination directory", Arity = ArgumentArity.OneOrMore };
        var conflict = CommonOptions.CreateConflictOption();
        var links = new Option<bool>("--links") { Description = "Copy symbolic links below the sources as links (only those whose target stays inside DEST); without it they are skipped with a warning" };
        var command = new Command("copy", "Copy files and directories through the full pipeline inside this process") { paths, conflict, links };
        common.AddTo(command);
        command.Options.Add(common.BandwidthLimit);
        command.Options.Add(common.Streams);
        command.Options.Add(common.Exclude);
        command.Options.Add(common.Include);
        command.SetAction((result, token) => CommandRunner.RunAsync(result, common, async (renderer, ct) =>
        {
            Warmup.Start();
            var all = result.GetValue(paths)!;
            if (all.Length < 2)
            {
                throw new UsageException("copy needs at least one source and a destination: peerflow copy PATH... DEST");
            }

            var sources = SendCommand.Sources(all[..^1], result.GetValue(links), common.Filter(result));
            var receive = new ReceiveOptions { Destination = all[^1], OnConflict = CommonOptions.ParseConflict(CommonOptions.PickText(result, conflict, common.Config.Receive?.OnConflict)), AllowSymlinks = result.GetValue(links) };
            var options = common.SendOptions(result);
            var transport = common.ResolveTransport(result, "loopback");
            await using var listener = await transport.BindAsync(new IPEndPoint(IPAddress.Loopback, 0), common.TransportOptions(), ct).ConfigureAwait(false);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            // A receiving server for one transfer, so that extra streams (--streams) can join it.
            var server = new ReceiveServer(listener, receive, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, maxConcurrentTransfers: options.Streams + 1);
            var receiving = Task.Run(() => server.RunAsync(once: true, stop.Token), stop.Token);
            TransferResult outcome;
            try
            {
                outcome = await renderer.RunAsync(observer => TransferSender.SendAsync(c => transport.ConnectAsync(listener.LocalEndPoint, common.TransportOptions(), c), sources, options, observer, ct)).ConfigureAwait(false);
            }
            catch
            {
                await stop.CancelAsync().ConfigureAwait(false);
                throw;
            }

            await receiving.ConfigureAwait(false);
            renderer.Completed(outcome);
            return outcome.Success ? ExitCodes.Success : ExitCodes.TransferFailed;
        }, token));
        return command;
    }
}
