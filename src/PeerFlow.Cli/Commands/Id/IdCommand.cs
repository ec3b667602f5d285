using System.CommandLine;

using PeerFlow.Security;

namespace PeerFlow.Cli.Commands.Id;

/// <summary><c>peerflow id</c>: this installation's peer ID, creating the identity on first use.</summary>
internal static class IdCommand
{
    public static Command Create()
    {
        var home = new Option<string?>("--home") { Description = $"PeerFlow home directory holding the identity (default: ${PeerIdentity.HomeVariable}, else peerflow/ in the user's configuration directory)" };
        var command = new Command("id", "Print this peer's ID (a hash of its public key) for the other side to trust or expect") { home };
        command.SetAction(result =>
        {
            try
            {
                using var identity = PeerIdentity.LoadOrCreate(result.GetValue(home));
                if (identity.Created)
                {
                    Console.Error.WriteLine($"peerflow: created a new identity in {identity.Directory}");
                }

                Console.Out.WriteLine(identity.Id.Text);
                return ExitCodes.Success;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                Console.Error.WriteLine($"peerflow: error: {ex.Message}");
                return ExitCodes.TransferFailed;
            }
        });
        return command;
    }
}
