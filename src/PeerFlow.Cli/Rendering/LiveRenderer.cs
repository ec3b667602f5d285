using PeerFlow.Files;
using PeerFlow.Transfers;

using Spectre.Console;

namespace PeerFlow.Cli.Rendering;

/// <summary>A live progress bar with rate and ETA (Spectre.Console) for an interactive terminal.</summary>
internal sealed class LiveRenderer(TextWriter output, TextWriter error) : PlainRenderer(output, error)
{
    private ProgressTask? _task;
    private string _title = "";
    private string? _peerNote;
    private readonly List<PeerFlow.Sync.SyncChange> _changes = [];

    public override async Task<T> RunAsync<T>(Func<ITransferObserver, Task<T>> transfer)
    {
        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                _task = context.AddTask("connecting", autoStart: true, maxValue: 1);
                result = await transfer(this).ConfigureAwait(false);
                _task.StopTask();
            }).ConfigureAwait(false);
        _task = null;
        if (_peerNote is not null)
        {
            base.Note(_peerNote);
        }

        // Lines under the live display would garble it: a sync's changes are listed once it is gone.
        lock (_changes)
        {
            foreach (var change in _changes)
            {
                WriteChange(Output, change);
            }

            _changes.Clear();
        }

        return result;
    }

    public override void OnStarted(TransferStarted started)
    {
        if (_task is null)
        {
            base.OnStarted(started);
            return;
        }

        _title = Markup.Escape(string.Join(", ", started.Roots.Select(SafePath.Printable)));
        _task.Description = _title;
        _task.MaxValue = Math.Max(started.TotalBytes, 1);
    }

    public override void Note(string message)
    {
        if (_task is null)
        {
            base.Note(message);
            return;
        }

        // Lines written under a live display garble it: show the note in the task's description instead.
        _task.Description = message == "resumed" ? _title : Markup.Escape(message);
    }

    public override void PeerNote(string message)
    {
        if (_task is null)
        {
            base.Note(message);
            return;
        }

        // Printed once the live display is gone, so it stays on screen.
        _peerNote = message;
        _task.Description = Markup.Escape(message);
    }

    public override void OnSyncChange(PeerFlow.Sync.SyncChange change)
    {
        if (_task is null)
        {
            base.OnSyncChange(change);
        }
        else if (ShowSyncChanges)
        {
            lock (_changes)
            {
                _changes.Add(change);
            }
        }
    }

    public override void OnProgress(TransferProgress progress)
    {
        if (_task is null)
        {
            base.OnProgress(progress);
            return;
        }

        _task.MaxValue = Math.Max(progress.BytesTotal, 1);
        _task.Value = progress.BytesDone;
    }
}
