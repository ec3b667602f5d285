using System.CommandLine;

using PeerFlow.Cli.Commands;
using PeerFlow.Cli.Commands.Copy;
using PeerFlow.Cli.Commands.Plugins;
using PeerFlow.Cli.Commands.Receive;
using PeerFlow.Cli.Commands.Send;

var root = new RootCommand("PeerFlow: move files and directory trees between peers, fast, safely and verified.")
{
    SendCommand.Create(),
    ReceiveCommand.Create(),
    CopyCommand.Create(),
    PluginsCommand.Create(),
};

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"peerflow: {error.Message}");
    }

    Console.Error.WriteLine("Run 'peerflow --help' for usage.");
    return ExitCodes.UsageError;
}

return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(10) });
