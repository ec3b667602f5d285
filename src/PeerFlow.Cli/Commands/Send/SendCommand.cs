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
        var command = new Command("send", "Send files and directories to a receiver") { paths, to };
        common.AddTo(command);
        command.SetAction((result, token) => CommandRunner.RunAsync(result, common, async (renderer, ct) =>
        {
            // On the other core while this one loads the transport, walks the sources and connects.
            Warmup.Start();
            var endPoint = EndPointParser.Parse(result.GetValue(to)!, "--to");
            var sources = Sources(result.GetValue(paths)!);
            var options = common.SendOptions(result);
            var transport = common.ResolveTransport(result, "tcp");
            sources.Measure();
            await using var connection = await transport.ConnectAsync(endPoint, cancellationToken: ct).ConfigureAwait(false);
            var outcome = await renderer.RunAsync(observer => TransferSender.SendAsync(connection, sources, options, observer, ct)).ConfigureAwait(false);
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
