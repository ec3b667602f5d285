using System.Text.Json;

using PeerFlow.Transfers;

namespace PeerFlow.Cli.Rendering;

/// <summary>One JSON object per line on standard output; the "event" property says what it is.</summary>
internal sealed class JsonRenderer(TextWriter output, TextWriter error) : Renderer(output, error)
{
    public override void Listening(string endPoint, string? peerId) => Write("listening", w =>
    {
        w.WriteString("address", endPoint);
        w.WriteString("peerId", peerId);
        w.WriteString("message", $"listening on {endPoint}");
    });

    public override void OnStateChanged(TransferStateChanged change) => Write("state", w =>
    {
        w.WriteString("direction", change.Direction == TransferDirection.Send ? "send" : "receive");
        w.WriteString("from", change.From.ToString());
        w.WriteString("to", change.To.ToString());
        if (change.Reason is not null)
        {
            w.WriteString("reason", change.Reason);
        }
    });

    public override void Note(string message) => Write("note", w => w.WriteString("message", message));

    public override void Warning(string message) => Write("warning", w => w.WriteString("message", message));

    public override void OnStarted(TransferStarted started) => Write("started", w =>
    {
        w.WriteString("direction", started.Direction == TransferDirection.Send ? "send" : "receive");
        w.WriteString("transferId", started.TransferId);
        w.WriteString("peer", started.Peer);
        w.WriteString("peerId", started.PeerId);
        w.WriteNumber("streams", started.Streams);
        w.WriteStartArray("roots");
        foreach (var root in started.Roots)
        {
            w.WriteStringValue(root);
        }

        w.WriteEndArray();
        w.WriteNumber("totalFiles", started.TotalFiles);
        w.WriteNumber("totalBytes", started.TotalBytes);
    });

    public override void OnProgress(TransferProgress progress) => Write("progress", w =>
    {
        w.WriteNumber("filesDone", progress.FilesDone);
        w.WriteNumber("filesTotal", progress.FilesTotal);
        w.WriteNumber("bytesDone", progress.BytesDone);
        w.WriteNumber("bytesTotal", progress.BytesTotal);
        w.WriteNumber("bytesPerSecond", Math.Round(progress.BytesPerSecond));
        w.WriteNumber("elapsedSeconds", Math.Round(progress.Elapsed.TotalSeconds, 3));
        if (progress.Eta is { } eta)
        {
            w.WriteNumber("etaSeconds", Math.Round(eta.TotalSeconds, 1));
        }
        else
        {
            w.WriteNull("etaSeconds");
        }
    });

    public override void OnFileCompleted(FileCompleted file) => Write("file-completed", w =>
    {
        w.WriteString("path", file.Path);
        w.WriteNumber("size", file.Size);
    });

    public override void OnSyncChange(PeerFlow.Sync.SyncChange change) => Write("sync-change", w =>
    {
        w.WriteString("change", change.Kind switch { PeerFlow.Sync.SyncChangeKind.New => "new", PeerFlow.Sync.SyncChangeKind.Update => "update", _ => "delete" });
        w.WriteString("path", change.Path);
        w.WriteBoolean("directory", change.IsDirectory);
        w.WriteNumber("size", change.Size);
        w.WriteBoolean("dryRun", change.DryRun);
    });

    public override void Completed(TransferResult result) => Write(result.Success && result.Sync?.DeletionRefused is null ? "completed" : "failed", w =>
    {
        w.WriteString("direction", result.Direction == TransferDirection.Send ? "send" : "receive");
        w.WriteBoolean("success", result.Success);
        w.WriteNumber("files", result.Files);
        w.WriteNumber("directories", result.Directories);
        w.WriteNumber("links", result.Links);
        w.WriteNumber("bytes", result.Bytes);
        w.WriteNumber("filesSkipped", result.FilesSkipped);
        w.WriteNumber("bytesAlreadyThere", result.BytesAlreadyThere);
        w.WriteNumber("elapsedSeconds", Math.Round(result.Elapsed.TotalSeconds, 3));
        w.WriteStartArray("storedAs");
        foreach (var root in result.StoredRoots)
        {
            w.WriteStringValue(root);
        }

        w.WriteEndArray();
        w.WriteStartArray("failures");
        foreach (var failure in result.Failures)
        {
            w.WriteStartObject();
            w.WriteString("path", failure.Path);
            w.WriteString("reason", failure.Reason);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("warnings");
        foreach (var warning in result.Warnings)
        {
            w.WriteStringValue(warning);
        }

        w.WriteEndArray();
        if (result.Sync is { } sync)
        {
            w.WriteStartObject("sync");
            w.WriteBoolean("dryRun", sync.DryRun);
            w.WriteNumber("filesChecked", sync.FilesChecked);
            w.WriteNumber("bytesChecked", sync.BytesChecked);
            w.WriteNumber("filesNew", sync.FilesNew);
            w.WriteNumber("bytesNew", sync.BytesNew);
            w.WriteNumber("filesUpdated", sync.FilesUpdated);
            w.WriteNumber("bytesUpdated", sync.BytesUpdated);
            w.WriteNumber("filesUnchanged", sync.FilesUnchanged);
            w.WriteNumber("entriesDeleted", sync.EntriesDeleted);
            w.WriteNumber("bytesDeleted", sync.BytesDeleted);
            w.WriteString("deletionRefused", sync.DeletionRefused);
            w.WriteNumber("wireBytes", sync.WireBytes);
            w.WriteNumber("bytesCopied", sync.BytesCopied);
            w.WriteEndObject();
        }
    });

    public override void Failed(string message, string kind) => Write("failed", w =>
    {
        w.WriteBoolean("success", false);
        w.WriteString("kind", kind);
        w.WriteString("error", message);
    });

    private void Write(string name, Action<Utf8JsonWriter> body)
    {
        var line = JsonText.Object(writer =>
        {
            writer.WriteString("event", name);
            writer.WriteString("time", DateTimeOffset.UtcNow);
            body(writer);
        });
        lock (this)
        {
            Output.WriteLine(line);
            Output.Flush();
        }
    }
}
