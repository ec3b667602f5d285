using PeerFlow.Files;
using PeerFlow.Protocol.Messages;
using PeerFlow.Transfers;

namespace PeerFlow.Sync;

/// <summary>The sender's view of a sync's deletions: each entry the receiver reports is passed on to the observer.</summary>
internal sealed class DeletionTally(ITransferObserver observer, bool dryRun)
{
    public void Record(SyncDeletions message)
    {
        foreach (var entry in message.Entries ?? [])
        {
            if (entry is null)
            {
                continue;
            }

            observer.OnSyncChange(new SyncChange(SyncChangeKind.Delete, SafePath.Printable(entry.Path), Math.Max(entry.Size, 0), entry.Kind == EntryKind.Directory, dryRun));
        }
    }
}
