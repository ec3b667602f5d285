using PeerFlow.Transfers;

using Spectre.Console;

namespace PeerFlow.Cli.Rendering;

/// <summary>
/// Draws a transfer for the user: a live progress bar on an interactive terminal, a few plain lines when output is
/// redirected, or one JSON object per line with <c>--output json</c>. The engine only reports; this decides how.
/// </summary>
internal abstract class Renderer : ITransferObserver
{
    protected Renderer(TextWriter output, TextWriter error)
    {
        Output = output;
        Error = error;
    }

    protected TextWriter Output { get; }

    protected TextWriter Error { get; }

    public static Renderer Create(bool json, TextWriter output, TextWriter error)
    {
        if (json)
        {
            return new JsonRenderer(output, error);
        }

        var interactive = !Console.IsOutputRedirected && !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null
            && InteractiveTerminal();
        return interactive ? new LiveRenderer(output, error) : new PlainRenderer(output, error);
    }

    /// <summary>
    /// Spectre.Console's view of the terminal, in a method of its own: a headless run (output redirected) never loads
    /// Spectre.Console at all, which its profile detection and the assembly itself would cost on every short run.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static bool InteractiveTerminal() => AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs a transfer while it is drawn.</summary>
    public virtual Task<T> RunAsync<T>(Func<ITransferObserver, Task<T>> transfer) => transfer(this);

    /// <summary>An observer for one of a receive server's transfers.</summary>
    public virtual ITransferObserver ForTransfer() => this;

    /// <summary>The receiver is ready; <paramref name="peerId"/> is its ID when it accepts encrypted connections.</summary>
    public abstract void Listening(string endPoint, string? peerId);

    public abstract void Completed(TransferResult result);

    /// <summary>One clear line for an error; <paramref name="kind"/> classifies it for machine output.</summary>
    public virtual void Failed(string message, string kind)
    {
        lock (this)
        {
            Error.WriteLine($"peerflow: error: {message}");
        }
    }

    /// <summary>A short message for the user that is not an error (pausing, reconnecting).</summary>
    public virtual void Note(string message)
    {
        lock (this)
        {
            Error.WriteLine($"peerflow: {message}");
        }
    }

    /// <summary>Whom the connection reached (the peer's authenticated ID): kept on screen, not just shown in passing.</summary>
    public virtual void PeerNote(string message) => Note(message);

    /// <summary>Something the user must not miss, such as running without encryption.</summary>
    public virtual void Warning(string message)
    {
        lock (this)
        {
            Error.WriteLine($"peerflow: WARNING: {message}");
        }
    }

    /// <summary>Pauses, resumes and reconnects are worth a line; the rest of the state machine is for JSON consumers.</summary>
    public virtual void OnStateChanged(TransferStateChanged change)
    {
        switch (change.To)
        {
            case TransferState.Paused:
                Note($"paused ({change.Reason ?? "paused"})");
                break;
            case TransferState.Sending or TransferState.Receiving when change.From == TransferState.Paused:
                Note("resumed");
                break;
            case TransferState.Connecting when change.Reason is not null:
                Note(change.Reason);
                break;
        }
    }

    public virtual void OnStarted(TransferStarted started)
    {
    }

    public virtual void OnProgress(TransferProgress progress)
    {
    }

    public virtual void OnFileCompleted(FileCompleted file)
    {
    }

    /// <summary>Print each change of a sync as it is decided (a dry run, or --verbose); machine output always has them.</summary>
    public bool ShowSyncChanges { get; set; }

    public virtual void OnSyncChange(PeerFlow.Sync.SyncChange change)
    {
    }

    public virtual void OnConnectionLost(Exception error) => Note($"connection lost ({error.Message}); waiting for the sender to reconnect");

    public virtual void OnEnded(TransferResult? result, Exception? error)
    {
        if (result is not null)
        {
            Completed(result);
        }
        else if (error is Session.PeerCancelledException cancelled)
        {
            // On purpose, not an error: the server keeps what arrived and goes on serving.
            Note($"{cancelled.Message}; {(cancelled.DiscardPartial ? "what arrived was discarded, as asked" : "what arrived is kept for the next run")}");
        }
        else if (error is not null)
        {
            Failed(Commands.CommandRunner.Describe(error), "error");
        }
    }
}
