using PeerFlow.Files;
using PeerFlow.Sync;
using PeerFlow.Transfers;

namespace PeerFlow.Cli.Rendering;

/// <summary>A few plain lines: what starts, a progress line every few seconds, how it ended.</summary>
internal class PlainRenderer(TextWriter output, TextWriter error) : Renderer(output, error)
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(5);
    private TimeSpan _lastProgress;

    public override void Listening(string endPoint, string? peerId)
    {
        lock (this)
        {
            Output.WriteLine($"listening on {endPoint}");
            if (peerId is not null)
            {
                Output.WriteLine($"this receiver's peer ID: {peerId}");
            }

            Output.Flush();
        }
    }

    public override void OnStarted(TransferStarted started)
    {
        var verb = started.Direction == TransferDirection.Send ? "sending" : "receiving";
        var preposition = started.Direction == TransferDirection.Send ? "to" : "from";
        lock (this)
        {
            _lastProgress = TimeSpan.Zero;
            if (started.Sync)
            {
                var target = started.Target is null ? "" : started.Direction == TransferDirection.Send ? $"/{started.Target}" : $" into {(started.Target.Length == 0 ? "the destination" : started.Target)}";
                Output.WriteLine(started.Direction == TransferDirection.Send
                    ? $"syncing {string.Join(", ", started.Roots.Select(SafePath.Printable))} to {started.Peer ?? "?"}{target}{(started.PeerId is null ? "" : $" (peer ID {started.PeerId})")}{(started.Streams > 1 ? $", over {started.Streams} streams" : "")}"
                    : $"syncing {string.Join(", ", started.Roots.Select(SafePath.Printable))} from {started.Peer ?? "?"}{target}{(started.PeerId is null ? "" : $" (peer ID {started.PeerId})")}{(started.Streams > 1 ? $", over {started.Streams} streams" : "")}");
                Output.Flush();
                return;
            }

            Output.WriteLine($"{verb} {string.Join(", ", started.Roots.Select(SafePath.Printable))} {preposition} {started.Peer ?? "?"}{(started.PeerId is null ? "" : $" (peer ID {started.PeerId})")}: {started.TotalFiles} files, {Units.Bytes(started.TotalBytes)}{(started.Streams > 1 ? $", over {started.Streams} streams" : "")}");
            Output.Flush();
        }
    }

    public override void OnProgress(TransferProgress progress)
    {
        if (progress.Elapsed - _lastProgress < ProgressEvery)
        {
            return;
        }

        lock (this)
        {
            _lastProgress = progress.Elapsed;
            var percent = progress.BytesTotal > 0 ? 100.0 * progress.BytesDone / progress.BytesTotal : 100;
            Output.WriteLine($"  {percent,3:0}%  {Units.Bytes(progress.BytesDone)} of {Units.Bytes(progress.BytesTotal)}, {progress.FilesDone}/{progress.FilesTotal} files, {Units.Rate(progress.BytesPerSecond)}, ETA {Units.Eta(progress.Eta)}");
            Output.Flush();
        }
    }

    public override void OnSyncChange(SyncChange change)
    {
        if (!ShowSyncChanges)
        {
            return;
        }

        lock (this)
        {
            WriteChange(Output, change);
            Output.Flush();
        }
    }

    /// <summary>One line per change: what happens (or would), the path below the synced directory, the size of a file sent.</summary>
    protected static void WriteChange(TextWriter output, SyncChange change)
    {
        var what = (change.Kind, change.DryRun) switch
        {
            (SyncChangeKind.New, true) => "would send",
            (SyncChangeKind.Update, true) => "would update",
            (SyncChangeKind.Delete, true) => "would delete",
            (SyncChangeKind.New, false) => "sent",
            (SyncChangeKind.Update, false) => "updated",
            _ => "deleted",
        };
        var path = change.IsDirectory ? change.Path + "/" : change.Path;
        output.WriteLine(change.Kind == SyncChangeKind.Delete ? $"{what,-12} {path}" : $"{what,-12} {path} ({Units.Bytes(change.Size)})");
    }

    public override void Completed(TransferResult result)
    {
        if (result.Sync is { } sync && result.Direction == TransferDirection.Send)
        {
            SyncCompleted(result, sync);
            return;
        }

        var verb = result.Direction == TransferDirection.Send ? "sent" : "received";
        var seconds = Math.Max(result.Elapsed.TotalSeconds, 1e-6);
        lock (this)
        {
            WriteProblems(result);

            var skipped = result.FilesSkipped > 0 ? $", {result.FilesSkipped} skipped" : "";
            skipped += result.BytesAlreadyThere > 0 ? $", {Units.Bytes(result.BytesAlreadyThere)} of it already there (resumed)" : "";
            var stored = result.StoredRoots.Count > 0 ? $" as {string.Join(", ", result.StoredRoots.Select(SafePath.Printable))}" : "";
            var status = result.Success ? "done" : $"FAILED ({result.Failures.Count} failed)";
            Output.WriteLine($"{status}: {verb} {result.Files} files, {result.Directories} directories{(result.Links > 0 ? $", {result.Links} links" : "")}, {Units.Bytes(result.Bytes)}{skipped}{stored} in {Units.Seconds(result.Elapsed)} ({Units.Rate(result.Bytes / seconds)}), verified");
            Output.Flush();
        }
    }

    /// <summary>Warnings and failed entries, one line each on standard error.</summary>
    private void WriteProblems(TransferResult result)
    {
        foreach (var warning in result.Warnings)
        {
            Error.WriteLine($"peerflow: warning: {SafePath.Printable(warning)}");
        }

        foreach (var failure in result.Failures)
        {
            Error.WriteLine($"peerflow: failed: {failure.Path}: {failure.Reason}");
        }
    }

    /// <summary>
    /// A sync's summary: files and bytes checked, sent (new and updated), unchanged, deleted; the bytes on the wire;
    /// the time and the effective rate (bytes checked, i.e. kept in sync, per second).
    /// </summary>
    private void SyncCompleted(TransferResult result, SyncReport sync)
    {
        var seconds = Math.Max(result.Elapsed.TotalSeconds, 1e-6);
        lock (this)
        {
            WriteProblems(result);

            if (sync.DeletionRefused is not null)
            {
                Error.WriteLine($"peerflow: deletion refused: {sync.DeletionRefused}");
            }

            var sent = sync.FilesNew + sync.FilesUpdated;
            var deleted = sync.EntriesDeleted > 0 ? $"; {(sync.DryRun ? "would delete" : "deleted")} {sync.EntriesDeleted} ({Units.Bytes(sync.BytesDeleted)})" : "";
            if (sync.DryRun)
            {
                Output.WriteLine($"dry run: checked {sync.FilesChecked} files ({Units.Bytes(sync.BytesChecked)}); would send {sent} ({Units.Bytes(sync.BytesNew + sync.BytesUpdated)}: {sync.FilesNew} new, {sync.FilesUpdated} updated); {sync.FilesUnchanged} unchanged{deleted}; nothing was changed");
            }
            else
            {
                var status = result.Success && sync.DeletionRefused is null ? "sync done" : $"sync FAILED ({result.Failures.Count} failed{(sync.DeletionRefused is null ? "" : ", deletion refused")})";
                Output.WriteLine($"{status}: checked {sync.FilesChecked} files ({Units.Bytes(sync.BytesChecked)}); sent {sent} ({Units.Bytes(sync.BytesNew + sync.BytesUpdated)}: {sync.FilesNew} new, {sync.FilesUpdated} updated); {sync.FilesUnchanged} unchanged{deleted}; {Units.Bytes(sync.WireBytes)} of data on the wire{(sync.BytesCopied > 0 ? $" ({Units.Bytes(sync.BytesCopied)} reused from the receiver's old versions)" : "")}; {Units.Seconds(result.Elapsed)}, {Units.Rate(sync.BytesChecked / seconds)} effective");
            }

            Output.Flush();
        }
    }
}
