using System.CommandLine;

using PeerFlow.Cli.Rendering;
using PeerFlow.Files;
using PeerFlow.Protocol;
using PeerFlow.Session;
using PeerFlow.Transfers;
using PeerFlow.Transports;

namespace PeerFlow.Cli.Commands;

/// <summary>Runs a verb's action and turns its outcome into one clear line and an exit code.</summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(ParseResult result, CommonOptions common, Func<Renderer, CancellationToken, Task<int>> action, CancellationToken cancellationToken)
    {
        var verbose = result.GetValue(common.Verbose);
        var renderer = Renderer.Create(common.IsJson(result), Console.Out, Console.Error);
        try
        {
            common.LoadConfig(result);
            return await action(renderer, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            renderer.Failed("cancelled", "cancelled");
            return ExitCodes.Cancelled;
        }
        catch (PeerCancelledException ex)
        {
            renderer.Failed(ex.Message, "cancelled");
            return ExitCodes.Cancelled;
        }
        catch (UsageException ex)
        {
            renderer.Failed(ex.Message, "usage");
            return ExitCodes.UsageError;
        }
        catch (Exception ex)
        {
            renderer.Failed(Describe(ex), Kind(ex));
            if (verbose)
            {
                Console.Error.WriteLine(ex);
            }

            return ExitCodes.TransferFailed;
        }
    }

    public static string Describe(Exception ex) => ex switch
    {
        ProtocolException => "protocol error: " + ex.Message,
        AggregateException { InnerExceptions.Count: 1 } aggregate => Describe(aggregate.InnerExceptions[0]),
        TransportException or TransferRefusedException or PeerErrorException or TimeoutException or Security.PeerIdentityException
            or InvalidPathException or IOException or UnauthorizedAccessException => ex.Message,
        _ => $"unexpected error ({ex.GetType().Name}): {ex.Message}",
    };

    private static string Kind(Exception ex) => ex switch
    {
        TransportException => "connection",
        ProtocolException => "protocol",
        TransferRefusedException => "refused",
        Security.PeerIdentityException => "identity",
        PeerErrorException => "peer",
        _ => "error",
    };
}
