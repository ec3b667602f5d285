using System.CommandLine;

using PeerFlow.Plugins;

namespace PeerFlow.Cli.Commands.Plugins;

/// <summary><c>peerflow plugins</c>: the transports found, and the plugins that failed to load.</summary>
internal static class PluginsCommand
{
    public static Command Create()
    {
        var dir = new Option<string?>("--plugins-dir") { Description = $"Where transport plugins are (default: ${TransportCatalog.DirectoryVariable}, else plugins/ next to peerflow)" };
        var command = new Command("plugins", "List the transport plugins") { dir };
        command.SetAction(result =>
        {
            var catalog = TransportCatalog.Load(result.GetValue(dir));
            Console.Out.WriteLine($"plugins directory: {catalog.Directory}");
            if (catalog.Transports.Count == 0)
            {
                Console.Out.WriteLine("no transports found");
            }

            foreach (var transport in catalog.Transports)
            {
                Console.Out.WriteLine($"{transport.Name,-10} {transport.Version,-10} {transport.AssemblyPath}");
            }

            foreach (var error in catalog.Errors)
            {
                Console.Error.WriteLine($"peerflow: plugin {error.Plugin} ({error.AssemblyPath}) not loaded: {error.Message}");
            }

            return catalog.Transports.Count == 0 ? ExitCodes.UsageError : ExitCodes.Success;
        });
        return command;
    }
}
