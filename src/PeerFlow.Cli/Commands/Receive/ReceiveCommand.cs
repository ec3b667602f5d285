using System.CommandLine;

using Microsoft.Extensions.Logging;

using PeerFlow.Transfers;

namespace PeerFlow.Cli.Commands.Receive;

/// <summary><c>peerflow receive --listen HOST:PORT --dest DIR [--once]</c></summary>
internal static class ReceiveCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var listen = new Option<string>("--listen") { Description = "Where to listen, HOST:PORT (port 0 picks a free one)", Required = true };
        var dest = new Option<string>("--dest") { Description = "Directory to store received files in", Required = true };
        var once = new Option<bool>("--once") { Description = "Exit after one transfer (its result is the exit code); a dropped connection is not the end: it waits for the sender to come back" };
        var maxConnections = new Option<int>("--max-connections") { Description = "Connections served at the same time; more wait (unanswered) until one ends", DefaultValueFactory = _ => 8 };
        var keepPartial = new Option<double>("--keep-partial-days") { Description = "Days the data of an interrupted transfer is kept for the sender to resume it", DefaultValueFactory = _ => 7 };
        var conflict = CommonOptions.CreateConflictOption();
        var command = new Command("receive", "Receive transfers into a directory") { listen, dest, once, conflict, keepPartial, maxConnections };
        common.AddTo(command);
        command.SetAction((result, token) => CommandRunner.RunAsync(result, common, async (renderer, ct) =>
        {
            var endPoint = EndPointParser.Parse(result.GetValue(listen)!, "--listen");
            var options = new ReceiveOptions
            {
                Destination = result.GetValue(dest)!,
                OnConflict = CommonOptions.ParseConflict(result.GetValue(conflict)!),
                Timing = common.Timing(result),
                PartialMaxAge = result.GetValue(keepPartial) is >= 0 and <= 36_500 and var days
                    ? TimeSpan.FromDays(days)
                    : throw new UsageException("--keep-partial-days must be between 0 and 36500"),
            };
            var transport = common.ResolveTransport(result, "tcp");
            await using var listener = await transport.BindAsync(endPoint, cancellationToken: ct).ConfigureAwait(false);
            renderer.Listening(EndPointParser.Format(listener.LocalEndPoint));
            using var logging = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(result.GetValue(common.Verbose) ? LogLevel.Debug : LogLevel.Warning));
            var connections = result.GetValue(maxConnections) is >= 1 and <= 10_000 and var n ? n : throw new UsageException("--max-connections must be between 1 and 10000");
            var server = new ReceiveServer(listener, options, logging.CreateLogger("peerflow.receive"), () => renderer.ForTransfer(), connections);
            var outcome = await server.RunAsync(result.GetValue(once), ct).ConfigureAwait(false);
            if (outcome is null)
            {
                return ExitCodes.Success;
            }

            return outcome.Success ? ExitCodes.Success : ExitCodes.TransferFailed;
        }, token));
        return command;
    }
}
