using System.CommandLine;
using System.Runtime.InteropServices;

using PeerFlow.Cli.Commands;
using PeerFlow.Cli.Commands.Config;
using PeerFlow.Cli.Commands.Control;
using PeerFlow.Cli.Commands.Copy;
using PeerFlow.Cli.Commands.Id;
using PeerFlow.Cli.Commands.Plugins;
using PeerFlow.Cli.Commands.Receive;
using PeerFlow.Cli.Commands.Run;
using PeerFlow.Cli.Commands.Send;
using PeerFlow.Cli.Commands.Serve;
using PeerFlow.Cli.Commands.Sync;
using PeerFlow.Cli.Commands.Trust;

// First, before PeerFlow starts any thread: see NoCertificateAuthorities.
PeerFlow.Security.NoCertificateAuthorities.Apply();
PeerFlow.Diagnostics.PhaseTrace.Mark("main");

// A transfer over TLS needs this installation's identity, and loading it (OpenSSL's first use) is the slowest part of
// its start-up: it starts now, on a thread of its own, while the command line is parsed. Only a head start: the
// command loads the identity as always and takes this result if it is the same home (PeerIdentity.StartLoading).
if (args is ["send" or "sync", ..] && Array.IndexOf(args, "--insecure") < 0)
{
    PeerFlow.Security.PeerIdentity.StartLoading(HomeArgument(args));
}

var root = new RootCommand("PeerFlow: move files and directory trees between peers, fast, safely and verified.");
(string Name, Func<Command> Create)[] verbs =
[
    ("send", SendCommand.Create),
    ("sync", SyncCommand.Create),
    ("serve", ServeCommand.Create),
    ("transfers", TransfersCommand.Create),
    ("receive", ReceiveCommand.Create),
    ("copy", CopyCommand.Create),
    ("plugins", PluginsCommand.Create),
    ("id", IdCommand.Create),
    ("trust", TrustCommand.Create),
    ("config", ConfigCommand.Create),
];

// A verb on the command line needs only its own command: building all of them (a few hundred options) is a
// measurable part of a short run's start-up. Anything else (help, run, a typo) gets the whole tree.
Command? only = null;
foreach (var (name, create) in verbs)
{
    if (args.Length > 0 && args[0] == name)
    {
        only = create();
        break;
    }
}

if (only is not null)
{
    root.Subcommands.Add(only);
}
else
{
    foreach (var (_, create) in verbs)
    {
        root.Subcommands.Add(create());
    }

    root.Subcommands.Add(RunCommand.Create(root));
}

var parsed = root.Parse(args);
PeerFlow.Diagnostics.PhaseTrace.Mark("parsed");
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"peerflow: {error.Message}");
    }

    Console.Error.WriteLine("Run 'peerflow --help' for usage.");
    return ExitCodes.UsageError;
}

// Ctrl+C (SIGINT) and SIGTERM cancel gracefully: the running verb stops, cleans up and returns its own exit code
// (3 for a cancelled transfer). A second Ctrl+C terminates at once.
using var shutdown = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    if (!shutdown.IsCancellationRequested)
    {
        context.Cancel = true;
        shutdown.Cancel();
    }
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
var exitCode = await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, shutdown.Token);
if (PeerFlow.Diagnostics.PhaseTrace.On)
{
    PeerFlow.Diagnostics.PhaseTrace.Mark($"exit {exitCode} (GCs {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}, {GC.GetTotalAllocatedBytes() / 1024} KiB allocated)");
}

return exitCode;

// The value of --home on a command line, looked for before it is parsed (the parser has the final word).
static string? HomeArgument(string[] args)
{
    for (var i = 1; i < args.Length; i++)
    {
        if (args[i] == "--home" && i + 1 < args.Length)
        {
            return args[i + 1];
        }

        if (args[i].StartsWith("--home=", StringComparison.Ordinal))
        {
            return args[i]["--home=".Length..];
        }
    }

    return null;
}
