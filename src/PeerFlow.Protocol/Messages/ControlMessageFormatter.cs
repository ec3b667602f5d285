using MessagePack;
using MessagePack.Formatters;

namespace PeerFlow.Protocol.Messages;

/// <summary>
/// Reads and writes control messages with MessagePack's reader and writer directly. The <c>[Key]</c> attributes on
/// the message classes are the schema; this is the same encoding written out by hand, so that nothing is generated
/// at run time (MessagePack's dynamic resolver emits and JIT-compiles code on first use, which cost every PeerFlow
/// process about 0.3 s of start-up). A test checks that both produce the same bytes for every message kind.
/// </summary>
internal sealed partial class ControlMessageFormatter : IMessagePackFormatter<ControlMessage?>
{
    public static readonly ControlMessageFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, ControlMessage? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        if (value is EntryBatch { Compact: true } batch)
        {
            // Marked for a peer that reads compact entries: written as the message it stands for.
            value = CompactEntryBatch.From(batch.Entries ?? []);
        }

        writer.WriteArrayHeader(2);
        switch (value)
        {
            case Hello m:
                writer.Write(0);
                writer.WriteArrayHeader(5);
                writer.Write(m.ProtocolVersion);
                writer.Write(m.MinProtocolVersion);
                writer.Write(m.Software);
                WriteStrings(ref writer, m.Capabilities);
                writer.Write(m.Authentication);
                break;
            case HelloReply m:
                writer.Write(1);
                writer.WriteArrayHeader(4);
                writer.Write(m.ProtocolVersion);
                writer.Write(m.Software);
                WriteStrings(ref writer, m.Capabilities);
                writer.Write(m.Authentication);
                break;
            case TransferOffer m:
                writer.Write(2);
                writer.WriteArrayHeader(10);
                writer.Write(m.TransferId);
                WriteStrings(ref writer, m.Roots);
                writer.Write(m.TotalFiles);
                writer.Write(m.TotalDirectories);
                writer.Write(m.TotalBytes);
                writer.Write(m.ChunkSize);
                writer.Write(m.ResumeKey);
                writer.Write(m.ExtraStreams);
                writer.Write(m.Target);
                WriteSync(ref writer, m.Sync);
                break;
            case TransferReply m:
                writer.Write(3);
                writer.WriteArrayHeader(6);
                writer.Write(m.Accepted);
                writer.Write(m.Reason);
                WriteStrings(ref writer, m.RootNames);
                writer.Write(m.Verdicts);
                writer.Write(m.ExtraStreams);
                writer.Write(m.StreamToken);
                break;
            case CompactEntryBatch m:
                writer.Write(20);
                writer.WriteArrayHeader(1);
                WriteCompactEntries(ref writer, m.Entries);
                break;
            case EntryBatch m:
                writer.Write(4);
                writer.WriteArrayHeader(1);
                WriteEntries(ref writer, m.Entries);
                break;
            case FileEnd m:
                writer.Write(5);
                writer.WriteArrayHeader(3);
                writer.Write(m.Id);
                writer.Write(m.Length);
                writer.Write(m.Hash);
                break;
            case FileAbort m:
                writer.Write(6);
                writer.WriteArrayHeader(2);
                writer.Write(m.Id);
                writer.Write(m.Reason);
                break;
            case TransferEnd m:
                writer.Write(7);
                writer.WriteArrayHeader(4);
                writer.Write(m.Files);
                writer.Write(m.Directories);
                writer.Write(m.Bytes);
                writer.Write(m.Incomplete);
                break;
            case TransferSummary m:
                writer.Write(8);
                writer.WriteArrayHeader(9);
                writer.Write(m.Success);
                writer.Write(m.FilesWritten);
                writer.Write(m.DirectoriesCreated);
                writer.Write(m.BytesWritten);
                writer.Write(m.FilesSkipped);
                WriteFailures(ref writer, m.Failures);
                writer.Write(m.EntriesDeleted);
                writer.Write(m.BytesDeleted);
                writer.Write(m.DeletionRefused);
                break;
            case ErrorMessage m:
                writer.Write(9);
                writer.WriteArrayHeader(2);
                writer.Write((int)m.Code);
                writer.Write(m.Message);
                break;
            case PauseTransfer m:
                writer.Write(10);
                writer.WriteArrayHeader(1);
                writer.Write(m.Reason);
                break;
            case ResumeTransfer:
                writer.Write(11);
                writer.WriteArrayHeader(0);
                break;
            case Heartbeat:
                writer.Write(12);
                writer.WriteArrayHeader(0);
                break;
            case CancelTransfer m:
                writer.Write(13);
                writer.WriteArrayHeader(2);
                writer.Write(m.Reason);
                writer.Write(m.DiscardPartial);
                break;
            case EntryVerdicts m:
                writer.Write(14);
                writer.WriteArrayHeader(3);
                writer.Write(m.UpTo);
                WriteVerdicts(ref writer, m.Verdicts);
                writer.Write((byte)m.Others);
                break;
            case JoinStream m:
                writer.Write(15);
                writer.WriteArrayHeader(3);
                writer.Write(m.TransferId);
                writer.Write(m.Token);
                writer.Write(m.Stream);
                break;
            case JoinReply m:
                writer.Write(16);
                writer.WriteArrayHeader(2);
                writer.Write(m.Accepted);
                writer.Write(m.Reason);
                break;
            case SyncDeletions m:
                writer.Write(17);
                writer.WriteArrayHeader(1);
                WriteDeletions(ref writer, m.Entries);
                break;
            case BlockSignatures m:
                writer.Write(18);
                writer.WriteArrayHeader(4);
                writer.Write(m.Id);
                writer.Write(m.BlockSize);
                writer.Write(m.Blocks);
                writer.Write(m.Final);
                break;
            case BlockCopy m:
                writer.Write(19);
                writer.WriteArrayHeader(4);
                writer.Write(m.Id);
                writer.Write(m.Offset);
                writer.Write(m.BasisOffset);
                writer.Write(m.Length);
                break;
            default:
                throw new MessagePackSerializationException($"{value.GetType().Name} is not a control message");
        }
    }

    public ControlMessage? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        options.Security.DepthStep(ref reader);
        try
        {
            if (reader.ReadArrayHeader() != 2)
            {
                throw new MessagePackSerializationException("a control message is a 2-element array [kind, body]");
            }

            var kind = reader.ReadInt32();
            var fields = reader.ReadArrayHeader();
            var body = new Fields(fields);
            ControlMessage message = kind switch
            {
                0 => ReadHello(ref reader, ref body),
                1 => ReadHelloReply(ref reader, ref body),
                2 => ReadOffer(ref reader, ref body),
                3 => ReadReply(ref reader, ref body),
                4 => new EntryBatch { Entries = body.Next() ? ReadEntries(ref reader, options) : [] },
                20 => new EntryBatch { Entries = new CompactEntryBatch { Entries = body.Next() ? ReadCompactEntries(ref reader, options) : [] }.Expand(), Compact = true },
                5 => ReadFileEnd(ref reader, ref body),
                6 => ReadFileAbort(ref reader, ref body),
                7 => ReadTransferEnd(ref reader, ref body),
                8 => ReadSummary(ref reader, ref body, options),
                9 => ReadError(ref reader, ref body),
                10 => new PauseTransfer { Reason = body.Next() ? ReadNullableString(ref reader) : null },
                11 => new ResumeTransfer(),
                12 => new Heartbeat(),
                13 => ReadCancel(ref reader, ref body),
                14 => ReadVerdicts(ref reader, ref body, options),
                15 => ReadJoin(ref reader, ref body),
                16 => ReadJoinReply(ref reader, ref body),
                17 => new SyncDeletions { Entries = body.Next() ? ReadDeletions(ref reader, options) : [] },
                18 => ReadSignatures(ref reader, ref body),
                19 => ReadCopy(ref reader, ref body),
                _ => throw new MessagePackSerializationException($"unknown control message kind {kind}"),
            };

            // Fields a newer peer appended are skipped: keys are append-only.
            body.SkipRest(ref reader);
            return message;
        }
        finally
        {
            reader.Depth--;
        }
    }

    /// <summary>Counts the fields of a message body as they are read, so missing trailing fields keep their defaults.</summary>
    private struct Fields(int count)
    {
        private int _left = count;

        public bool Next()
        {
            if (_left == 0)
            {
                return false;
            }

            _left--;
            return true;
        }

        public readonly void SkipRest(ref MessagePackReader reader)
        {
            for (var i = 0; i < _left; i++)
            {
                reader.Skip();
            }
        }
    }
}
