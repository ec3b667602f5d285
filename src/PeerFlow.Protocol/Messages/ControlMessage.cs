using MessagePack;

namespace PeerFlow.Protocol.Messages;

/// <summary>
/// Base of every control message. On the wire a control message is a MessagePack array <c>[kind, body]</c>, where
/// kind is the union key below and body is the message's own array of fields indexed by their <c>[Key]</c>.
/// Keys are only ever appended; a reader ignores trailing fields it does not know.
/// </summary>
[Union(0, typeof(Hello))]
[Union(1, typeof(HelloReply))]
[Union(2, typeof(TransferOffer))]
[Union(3, typeof(TransferReply))]
[Union(4, typeof(EntryBatch))]
[Union(5, typeof(FileEnd))]
[Union(6, typeof(FileAbort))]
[Union(7, typeof(TransferEnd))]
[Union(8, typeof(TransferSummary))]
[Union(9, typeof(ErrorMessage))]
[Union(10, typeof(PauseTransfer))]
[Union(11, typeof(ResumeTransfer))]
[Union(12, typeof(Heartbeat))]
[Union(13, typeof(CancelTransfer))]
[Union(14, typeof(EntryVerdicts))]
[Union(15, typeof(JoinStream))]
[Union(16, typeof(JoinReply))]
[Union(17, typeof(SyncDeletions))]
[Union(18, typeof(BlockSignatures))]
[Union(19, typeof(BlockCopy))]
[Union(20, typeof(CompactEntryBatch))]
public abstract class ControlMessage
{
}
