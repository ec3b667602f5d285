using System.CommandLine;

using PeerFlow.Files;
using PeerFlow.Transfers;

namespace PeerFlow.Cli.Commands.Send;

/// <summary><c>peerflow send PATH... --to HOST:PORT</c></summary>
internal static class SendCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var paths = new Argument<string[]>("paths") { Description = "Files and directories to send", Arity = ArgumentArity.OneOrMore };
        var to = new Option<string>("--to") { Description = "The receiver, HOST:PORT", Required = true };
        var reconnects = new Option<int>("--reconnects") { Description = "How many times in a row to reconnect after the connection is lost; each time the transfer continues where it stopped", DefaultValueFactory = _ => 5 };
        var command = new Command("send", "Send files and directories to a receiver (run it again after an interruption: it continues where it stopped)") { paths, to, reconnects };
        common.AddTo(command);
        command.SetAction((result, token) => CommandRunner.RunAsync(result, common, async (renderer, ct) =>
        {
            // On the other core while this one loads the transport, walks the sources and connects.
            Warmup.Start();
            var endPoint = EndPointParser.Parse(result.GetValue(to)!, "--to");
            var sources = Sources(result.GetValue(paths)!);
            if (result.GetValue(reconnects) is < 0 or > 1000)
            {
                throw new UsageException("--reconnects must be between 0 and 1000");
            }

            var options = common.SendOptions(result, result.GetValue(reconnects));
            var transport = common.ResolveTransport(result, "tcp");
            sources.Measure();
            using var control = new TransferControl();
            using var keys = KeyControls.Start(control, renderer);
            var outcome = await renderer.RunAsync(observer => TransferSender.SendAsync(c => transport.ConnectAsync(endPoint, cancellationToken: c), sources, options, observer, ct, control)).ConfigureAwait(false);
            renderer.Completed(outcome);
            return outcome.Success ? ExitCodes.Success : ExitCodes.TransferFailed;
        }, token));
        return command;
    }

    public static SourceSet Sources(IEnumerable<string> paths)
    {
        try
        {
            return new SourceSet(paths);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message);
        }
    }
}
