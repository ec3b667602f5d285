using Microsoft.Extensions.Logging;

using PeerFlow.Transfers;

namespace PeerFlow.Cli.Commands.Serve;

/// <summary>A daemon's transfer events as structured log lines (one observer per transfer).</summary>
internal sealed partial class LoggingObserver(ILogger logger) : ITransferObserver
{
    private string _transfer = "?";

    public void OnStarted(TransferStarted started)
    {
        _transfer = started.TransferId;
        LogStarted(started.TransferId, started.Peer ?? "?", started.PeerId ?? "(plaintext)", string.Join(", ", started.Roots), started.Target ?? "", started.Sync, started.Streams);
    }

    public void OnConnectionLost(Exception error) => LogLost(_transfer, error.Message);

    public void OnEnded(TransferResult? result, Exception? error)
    {
        if (result is not null)
        {
            LogCompleted(_transfer, result.Success, result.Files, result.Bytes, result.BytesAlreadyThere, result.Sync?.EntriesDeleted ?? 0, result.Failures.Count, result.Elapsed.TotalSeconds);
        }
        else if (error is OperationCanceledException or Session.PeerCancelledException)
        {
            LogCancelled(_transfer, error.Message);
        }
        else if (error is not null)
        {
            LogFailed(_transfer, CommandRunner.Describe(error));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "transfer {TransferId} started: from {Peer} (peer ID {PeerId}), {Roots} into '{Target}', sync {Sync}, {Streams} streams")]
    private partial void LogStarted(string transferId, string peer, string peerId, string roots, string target, bool sync, int streams);

    [LoggerMessage(Level = LogLevel.Warning, Message = "transfer {TransferId}: connection lost ({Reason}); waiting for the sender to reconnect")]
    private partial void LogLost(string transferId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "transfer {TransferId} ended: success {Success}, {Files} files, {Bytes} bytes ({AlreadyThere} already there), {Deleted} deleted, {Failures} failed, {Seconds:0.00} s")]
    private partial void LogCompleted(string transferId, bool success, long files, long bytes, long alreadyThere, long deleted, int failures, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "transfer {TransferId} cancelled ({Reason}); what arrived is kept for the sender to resume")]
    private partial void LogCancelled(string transferId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "transfer {TransferId} failed: {Reason}")]
    private partial void LogFailed(string transferId, string reason);
}
