using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

using PeerFlow.Cli.Commands.Serve;
using PeerFlow.Cli.Rendering;
using PeerFlow.Configuration;

namespace PeerFlow.Cli.Commands.Control;

/// <summary>
/// <c>peerflow transfers list|pause ID|resume ID|cancel ID</c>: the transfers running in a local <c>peerflow serve</c>,
/// through its control socket. IDs may be shortened to any unique prefix. Exit 0 done, 1 refused (no such transfer),
/// 2 usage, or no daemon answering.
/// </summary>
internal static class TransfersCommand
{
    public static Command Create()
    {
        var command = new Command("transfers", "List, pause, resume or cancel the transfers running in a local 'peerflow serve'");
        command.Subcommands.Add(Verb("list", "The running transfers: id, state, peer, target, progress", withId: false));
        command.Subcommands.Add(Verb("pause", "Pause a running transfer (its sender is told)", withId: true));
        command.Subcommands.Add(Verb("resume", "Resume a paused transfer", withId: true));
        command.Subcommands.Add(Verb("cancel", "Cancel a running transfer; what arrived is kept for its sender to resume (--discard deletes it)", withId: true));
        return command;
    }

    private static Command Verb(string name, string description, bool withId)
    {
        var id = new Argument<string>("id") { Description = "The transfer's id, or a unique start of it (as 'transfers list' shows it)" };
        var discard = new Option<bool>("--discard") { Description = "cancel: delete what arrived instead of keeping it for a resume" };
        var socket = new Option<string?>("--socket") { Description = "The daemon's control socket (default: serve.controlSocket of --config, else control.sock in the PeerFlow home)" };
        var config = new Option<string?>("--config") { Description = "The daemon's configuration file, to find its control socket" };
        var home = new Option<string?>("--home") { Description = "PeerFlow home (default: $PEERFLOW_HOME, else ~/.config/peerflow)" };
        var output = new Option<string>("--output") { Description = "Output format", DefaultValueFactory = _ => "text" };
        output.AcceptOnlyFromAmong("text", "json");
        var command = new Command(name, description) { socket, config, home, output };
        if (withId)
        {
            command.Arguments.Add(id);
        }

        if (name == "cancel")
        {
            command.Options.Add(discard);
        }

        command.SetAction(async (result, token) =>
        {
            string path;
            try
            {
                var serve = result.GetValue(config) is { } file ? ConfigLoader.Load(file).Serve : null;
                path = result.GetValue(socket) ?? ServeCommand.ControlSocketPath(serve, result.GetValue(home));
            }
            catch (ConfigException ex)
            {
                Console.Error.WriteLine($"peerflow: error: invalid configuration: {string.Join("; ", ex.Errors)}");
                return ExitCodes.UsageError;
            }

            var request = Request(name, withId ? result.GetValue(id)! : "", result.GetValue(discard));
            string answer;
            try
            {
                answer = await AskAsync(path, request, token).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                Console.Error.WriteLine($"peerflow: error: no daemon answers on {path} ({ex.Message}); is 'peerflow serve' running, with this home or --socket?");
                return ExitCodes.UsageError;
            }

            using var document = JsonDocument.Parse(answer);
            var root = document.RootElement;
            if (result.GetValue(output) == "json")
            {
                Console.Out.WriteLine(answer);
            }
            else if (!root.GetProperty("ok").GetBoolean())
            {
                Console.Error.WriteLine($"peerflow: error: {root.GetProperty("error").GetString()}");
            }
            else if (name == "list")
            {
                PrintList(root);
            }
            else
            {
                Console.Out.WriteLine($"{name switch { "pause" => "paused", "resume" => "resumed", _ => "cancelled" }} transfer {root.GetProperty("id").GetString()}");
            }

            return root.GetProperty("ok").GetBoolean() ? ExitCodes.Success : ExitCodes.TransferFailed;
        });
        return command;
    }

    private static string Request(string command, string id, bool discard) => JsonText.Object(writer =>
    {
        writer.WriteString("command", command);
        writer.WriteString("id", id);
        writer.WriteBoolean("discard", discard);
    });

    private static async Task<string> AskAsync(string path, string request, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request + "\n"), cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) ?? throw new SocketException((int)SocketError.ConnectionReset);
    }

    private static void PrintList(JsonElement root)
    {
        var transfers = root.GetProperty("transfers");
        if (transfers.GetArrayLength() == 0)
        {
            Console.Out.WriteLine("no transfers running");
            return;
        }

        foreach (var t in transfers.EnumerateArray())
        {
            var done = t.GetProperty("bytesDone").GetInt64();
            var total = t.GetProperty("bytesTotal").GetInt64();
            var percent = total > 0 ? string.Create(CultureInfo.InvariantCulture, $"{100.0 * done / total:0}%") : "?";
            var roots = string.Join(", ", t.GetProperty("roots").EnumerateArray().Select(r => r.GetString()));
            var target = t.GetProperty("target").GetString();
            Console.Out.WriteLine(
                $"{t.GetProperty("id").GetString()![..12]}  {t.GetProperty("state").GetString(),-9}  {(t.GetProperty("sync").GetBoolean() ? "sync" : "send")} {roots}{(string.IsNullOrEmpty(target) ? "" : $" into {target}")}  from {t.GetProperty("peerId").GetString() ?? t.GetProperty("peer").GetString()}  {percent} of {Units.Bytes(total)}, {Units.Rate(t.GetProperty("bytesPerSecond").GetDouble())}");
        }
    }
}
