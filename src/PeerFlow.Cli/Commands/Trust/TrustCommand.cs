using System.CommandLine;

using PeerFlow.Security;

namespace PeerFlow.Cli.Commands.Trust;

/// <summary><c>peerflow trust add|remove|list</c>: the peers a receiver accepts without --trust on its command line.</summary>
internal static class TrustCommand
{
    public static Command Create()
    {
        var home = new Option<string?>("--home") { Description = $"PeerFlow home directory holding the list (default: ${PeerIdentity.HomeVariable}, else ~/.config/peerflow)", Recursive = true };
        var command = new Command("trust", $"The peers this installation receives from: {TrustList.FileName} in the PeerFlow home") { home };

        var addId = new Argument<string>("id") { Description = "The sender's peer ID ('peerflow id' on the sender)" };
        var addName = new Argument<string?>("name") { Description = "A name to remember it by", Arity = ArgumentArity.ZeroOrOne };
        var add = new Command("add", "Trust a peer: receivers accept its transfers") { addId, addName };
        add.SetAction(result => Run(() =>
        {
            var id = Parse(result.GetValue(addId)!);
            var list = TrustList.Load(result.GetValue(home));
            var changed = list.Add(id, result.GetValue(addName));
            Console.Out.WriteLine(changed ? $"trusted {id} (in {list.Path})" : $"{id} was trusted already");
        }));

        var removeId = new Argument<string>("id") { Description = "The peer ID to stop trusting" };
        var remove = new Command("remove", "Stop trusting a peer") { removeId };
        remove.SetAction(result => Run(() =>
        {
            var id = Parse(result.GetValue(removeId)!);
            var list = TrustList.Load(result.GetValue(home));
            Console.Out.WriteLine(list.Remove(id) ? $"no longer trusted: {id}" : $"{id} was not trusted");
        }));

        var list = new Command("list", "Print the trusted peers, one per line: ID and name");
        list.SetAction(result => Run(() =>
        {
            foreach (var (id, name) in TrustList.Load(result.GetValue(home)).Entries)
            {
                Console.Out.WriteLine(name is null ? id.Text : $"{id} {Files.SafePath.Printable(name)}");
            }
        }));

        command.Subcommands.Add(add);
        command.Subcommands.Add(remove);
        command.Subcommands.Add(list);
        return command;
    }

    private static PeerId Parse(string text)
        => PeerId.TryParse(text, out var id) ? id : throw new UsageException($"'{text}' is not a peer ID (32 base32 characters, as 'peerflow id' prints it)");

    private static int Run(Action action)
    {
        try
        {
            action();
            return ExitCodes.Success;
        }
        catch (UsageException ex)
        {
            Console.Error.WriteLine($"peerflow: error: {ex.Message}");
            return ExitCodes.UsageError;
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine($"peerflow: error: {ex.Message}");
            return ExitCodes.TransferFailed;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"peerflow: error: {ex.Message}");
            return ExitCodes.TransferFailed;
        }
    }
}
