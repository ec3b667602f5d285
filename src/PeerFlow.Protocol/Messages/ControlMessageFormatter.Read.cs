using System.Buffers;

using MessagePack;

namespace PeerFlow.Protocol.Messages;

/// <summary>The per-message readers of <see cref="ControlMessageFormatter"/>.</summary>
internal sealed partial class ControlMessageFormatter
{
    private static Hello ReadHello(ref MessagePackReader reader, ref Fields body)
    {
        var m = new Hello();
        if (body.Next())
        {
            m.ProtocolVersion = reader.ReadInt32();
        }

        if (body.Next())
        {
            m.MinProtocolVersion = reader.ReadInt32();
        }

        if (body.Next())
        {
            m.Software = ReadString(ref reader);
        }

        if (body.Next())
        {
            m.Capabilities = ReadStrings(ref reader);
        }

        if (body.Next())
        {
            m.Authentication = ReadBytes(ref reader);
        }

        return m;
    }

    private static HelloReply ReadHelloReply(ref MessagePackReader reader, ref Fields body)
    {
        var m = new HelloReply();
        if (body.Next())
        {
            m.ProtocolVersion = reader.ReadInt32();
        }

        if (body.Next())
        {
            m.Software = ReadString(ref reader);
        }

        if (body.Next())
        {
            m.Capabilities = ReadStrings(ref reader);
        }

        if (body.Next())
        {
            m.Authentication = ReadBytes(ref reader);
        }

        return m;
    }

    private static TransferOffer ReadOffer(ref MessagePackReader reader, ref Fields body)
    {
        var m = new TransferOffer();
        if (body.Next())
        {
            m.TransferId = ReadBytes(ref reader) ?? [];
        }

        if (body.Next())
        {
            m.Roots = ReadStrings(ref reader);
        }

        if (body.Next())
        {
            m.TotalFiles = reader.ReadInt64();
        }

        if (body.Next())
        {
            m.TotalDirectories = reader.ReadInt64();
        }

        if (body.Next())
        {
            m.TotalBytes = reader.ReadInt64();
        }

        if (body.Next())
        {
            m.ChunkSize = reader.ReadInt32();
        }

        if (body.Next())
        {
            m.ResumeKey = ReadBytes(ref reader);
        }

        if (body.Next())
        {
            m.ExtraStreams = reader.ReadInt32();
        }

        if (body.Next())
        {
            m.Target = ReadNullableString(ref reader);
        }

        if (body.Next())
        {
            m.Sync = ReadSync(ref reader);
        }

        return m;
    }

    private static SyncRequest? ReadSync(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        var fields = new Fields(reader.ReadArrayHeader());
        var m = new SyncRequest();
        if (fields.Next())
        {
            m.Checksum = reader.ReadBoolean();
        }

        if (fields.Next())
        {
            m.Delete = reader.ReadBoolean();
        }

        if (fields.Next())
        {
            m.MaxDelete = reader.ReadInt64();
        }

        if (fields.Next())
        {
            m.MaxDeletePercent = reader.ReadInt32();
        }

        if (fields.Next())
        {
            m.Trash = reader.ReadBoolean();
        }

        if (fields.Next())
        {
            m.DryRun = reader.ReadBoolean();
        }

        if (fields.Next())
        {
            m.Protect = ReadStrings(ref reader);
        }

        if (fields.Next())
        {
            m.Links = reader.ReadBoolean();
        }

        if (fields.Next())
        {
            m.Delta = reader.ReadBoolean();
        }

        fields.SkipRest(ref reader);
        return m;
    }

    private static TransferReply ReadReply(ref MessagePackReader reader, ref Fields body)
    {
        var m = new TransferReply();
        if (body.Next())
        {
            m.Accepted = reader.ReadBoolean();
        }

        if (body.Next())
        {
            m.Reason = reader.TryReadNil() ? null : reader.ReadString();
        }

        if (body.Next())
        {
            m.RootNames = ReadStrings(ref reader);
        }

        if (body.Next())
        {
            m.Verdicts = reader.ReadBoolean();
        }

        if (body.Next())
        {
            m.ExtraStreams = reader.ReadInt32();
        }

        if (body.Next())
        {
            m.StreamToken = ReadBytes(ref reader);
        }

        return m;
    }

    private static JoinStream ReadJoin(ref MessagePackReader reader, ref Fields body)
    {
        var m = new JoinStream();
        if (body.Next())
        {
            m.TransferId = ReadBytes(ref reader) ?? [];
        }

        if (body.Next())
        {
            m.Token = ReadBytes(ref reader) ?? [];
        }

        if (body.Next())
        {
            m.Stream = reader.ReadInt32();
        }

        return m;
    }

    private static JoinReply ReadJoinReply(ref MessagePackReader reader, ref Fields body)
    {
        var m = new JoinReply();
        if (body.Next())
        {
            m.Accepted = reader.ReadBoolean();
        }

        if (body.Next())
        {
            m.Reason = reader.TryReadNil() ? null : reader.ReadString();
        }

        return m;
    }

    private static FileEnd ReadFileEnd(ref MessagePackReader reader, ref Fields body)
    {
        var m = new FileEnd();
        if (body.Next())
        {
            m.Id = reader.ReadUInt32();
        }

        if (body.Next())
        {
            m.Length = reader.ReadInt64();
        }

        if (body.Next())
        {
            m.Hash = ReadBytes(ref reader) ?? [];
        }

        return m;
    }

    private static FileAbort ReadFileAbort(ref MessagePackReader reader, ref Fields body)
    {
        var m = new FileAbort();
        if (body.Next())
        {
            m.Id = reader.ReadUInt32();
        }

        if (body.Next())
        {
            m.Reason = ReadString(ref reader);
        }

        return m;
    }

    private static TransferEnd ReadTransferEnd(ref MessagePackReader reader, ref Fields body)
    {
        var m = new TransferEnd();
        if (body.Next())
        {
            m.Files = reader.ReadInt64();
        }

        if (body.Next())
        {
            m.Directories = reader.ReadInt64();
        }

        if (body.Next())
        {
            m.Bytes = reader.ReadInt64();
        }

        if (body.Next())
        {
            m.Incomplete = reader.ReadBoolean();
        }

        return m;
    }

    private static TransferSummary ReadSummary(ref MessagePackReader reader, ref Fields body, MessagePackSerializerOptions options)
    {
        var m = new TransferSummary();
        if (body.Next())
        {
            m.Success = reader.ReadBoolean();
        }

        if (body.Next())
        {
            m.FilesWritten = reader.ReadInt64();
        }

        if (body.Next())
        {
            m.DirectoriesCreated = reader.ReadInt64();
        }

        if (body.Next())
        {
            m.BytesWritten = reader.ReadInt64();
        }

        if (body.Next())
        {
            m.FilesSkipped = reader.ReadInt64();
        }

        if (body.Next())
        {
            m.Failures = ReadFailures(ref reader, options);
        }

        if (body.Next())
        {
            m.EntriesDeleted = reader.ReadInt64();
        }

        if (body.Next())
        {
            m.BytesDeleted = reader.ReadInt64();
        }

        if (body.Next())
        {
            m.DeletionRefused = ReadNullableString(ref reader);
        }

        return m;
    }

    private static ErrorMessage ReadError(ref MessagePackReader reader, ref Fields body)
    {
        var m = new ErrorMessage();
        if (body.Next())
        {
            m.Code = (ErrorCode)reader.ReadInt32();
        }

        if (body.Next())
        {
            m.Message = ReadString(ref reader);
        }

        return m;
    }

    private static EntryInfo[] ReadEntries(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        var count = reader.ReadArrayHeader();
        var entries = new EntryInfo[count];
        for (var i = 0; i < count; i++)
        {
            options.Security.DepthStep(ref reader);
            var fields = new Fields(reader.ReadArrayHeader());
            var e = new EntryInfo();
            if (fields.Next())
            {
                e.Id = reader.ReadUInt32();
            }

            if (fields.Next())
            {
                e.Path = ReadString(ref reader);
            }

            if (fields.Next())
            {
                e.Kind = (EntryKind)reader.ReadByte();
            }

            if (fields.Next())
            {
                e.Size = reader.ReadInt64();
            }

            if (fields.Next())
            {
                e.ModifiedUnixNanoseconds = reader.ReadInt64();
            }

            if (fields.Next())
            {
                e.Mode = reader.ReadInt32();
            }

            if (fields.Next())
            {
                e.LinkTarget = reader.TryReadNil() ? null : ReadString(ref reader);
            }

            if (fields.Next())
            {
                e.Hash = ReadBytes(ref reader);
            }

            fields.SkipRest(ref reader);
            reader.Depth--;
            entries[i] = e;
        }

        return entries;
    }

    private static CompactEntry[] ReadCompactEntries(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        var count = reader.ReadArrayHeader();
        var entries = new CompactEntry[count];
        for (var i = 0; i < count; i++)
        {
            options.Security.DepthStep(ref reader);
            var fields = new Fields(reader.ReadArrayHeader());
            var e = new CompactEntry();
            if (fields.Next())
            {
                e.IdStep = reader.ReadUInt32();
            }

            if (fields.Next())
            {
                e.SharedBytes = reader.ReadInt32();
            }

            if (fields.Next())
            {
                e.Rest = ReadString(ref reader);
            }

            if (fields.Next())
            {
                e.Kind = (EntryKind)reader.ReadByte();
            }

            if (fields.Next())
            {
                e.SizeStep = reader.ReadInt64();
            }

            if (fields.Next())
            {
                e.SecondsStep = reader.ReadInt64();
            }

            if (fields.Next())
            {
                e.Nanoseconds = reader.ReadUInt32();
            }

            if (fields.Next())
            {
                e.Mode = reader.TryReadNil() ? null : reader.ReadInt32();
            }

            if (fields.Next())
            {
                e.LinkTarget = reader.TryReadNil() ? null : ReadString(ref reader);
            }

            if (fields.Next())
            {
                e.Hash = ReadBytes(ref reader);
            }

            fields.SkipRest(ref reader);
            reader.Depth--;
            entries[i] = e;
        }

        return entries;
    }

    private static EntryFailure[] ReadFailures(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        var count = reader.ReadArrayHeader();
        var failures = new EntryFailure[count];
        for (var i = 0; i < count; i++)
        {
            options.Security.DepthStep(ref reader);
            var fields = new Fields(reader.ReadArrayHeader());
            var f = new EntryFailure();
            if (fields.Next())
            {
                f.Path = ReadString(ref reader);
            }

            if (fields.Next())
            {
                f.Reason = ReadString(ref reader);
            }

            fields.SkipRest(ref reader);
            reader.Depth--;
            failures[i] = f;
        }

        return failures;
    }

    private static CancelTransfer ReadCancel(ref MessagePackReader reader, ref Fields body)
    {
        var m = new CancelTransfer();
        if (body.Next())
        {
            m.Reason = ReadString(ref reader);
        }

        if (body.Next())
        {
            m.DiscardPartial = reader.ReadBoolean();
        }

        return m;
    }

    private static EntryVerdicts ReadVerdicts(ref MessagePackReader reader, ref Fields body, MessagePackSerializerOptions options)
    {
        var m = new EntryVerdicts();
        if (body.Next())
        {
            m.UpTo = reader.ReadUInt32();
        }

        if (!body.Next())
        {
            return m;
        }

        var count = reader.ReadArrayHeader();
        if (count > ProtocolConstants.MaxVerdicts)
        {
            throw new MessagePackSerializationException($"more than {ProtocolConstants.MaxVerdicts} verdicts in one message");
        }

        var verdicts = new EntryVerdict[count];
        for (var i = 0; i < count; i++)
        {
            options.Security.DepthStep(ref reader);
            var fields = new Fields(reader.ReadArrayHeader());
            var v = new EntryVerdict();
            if (fields.Next())
            {
                v.Id = reader.ReadUInt32();
            }

            if (fields.Next())
            {
                v.Kind = (VerdictKind)reader.ReadByte();
            }

            if (fields.Next())
            {
                v.Offset = reader.ReadInt64();
            }

            if (fields.Next())
            {
                v.PrefixHash = ReadBytes(ref reader);
            }

            fields.SkipRest(ref reader);
            reader.Depth--;
            verdicts[i] = v;
        }

        m.Verdicts = verdicts;
        if (body.Next())
        {
            m.Others = (VerdictKind)reader.ReadByte();
        }

        return m;
    }

    private static BlockSignatures ReadSignatures(ref MessagePackReader reader, ref Fields body)
    {
        var m = new BlockSignatures();
        if (body.Next())
        {
            m.Id = reader.ReadUInt32();
        }

        if (body.Next())
        {
            m.BlockSize = reader.ReadInt32();
        }

        if (body.Next())
        {
            m.Blocks = ReadBytes(ref reader) ?? [];
        }

        if (body.Next())
        {
            m.Final = reader.ReadBoolean();
        }

        return m;
    }

    private static BlockCopy ReadCopy(ref MessagePackReader reader, ref Fields body)
    {
        var m = new BlockCopy();
        if (body.Next())
        {
            m.Id = reader.ReadUInt32();
        }

        if (body.Next())
        {
            m.Offset = reader.ReadInt64();
        }

        if (body.Next())
        {
            m.BasisOffset = reader.ReadInt64();
        }

        if (body.Next())
        {
            m.Length = reader.ReadInt64();
        }

        return m;
    }

    private static DeletedEntry[] ReadDeletions(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return [];
        }

        var count = reader.ReadArrayHeader();
        if (count > ProtocolConstants.MaxDeletionsPerMessage)
        {
            throw new MessagePackSerializationException($"more than {ProtocolConstants.MaxDeletionsPerMessage} deleted entries in one message");
        }

        var entries = new DeletedEntry[count];
        for (var i = 0; i < count; i++)
        {
            options.Security.DepthStep(ref reader);
            var fields = new Fields(reader.ReadArrayHeader());
            var e = new DeletedEntry();
            if (fields.Next())
            {
                e.Path = ReadString(ref reader);
            }

            if (fields.Next())
            {
                e.Kind = (EntryKind)reader.ReadByte();
            }

            if (fields.Next())
            {
                e.Size = reader.ReadInt64();
            }

            fields.SkipRest(ref reader);
            reader.Depth--;
            entries[i] = e;
        }

        return entries;
    }

    private static string? ReadNullableString(ref MessagePackReader reader) => reader.TryReadNil() ? null : reader.ReadString();

    private static string ReadString(ref MessagePackReader reader) => reader.ReadString() ?? "";

    private static byte[]? ReadBytes(ref MessagePackReader reader) => reader.ReadBytes() is { } bytes ? bytes.ToArray() : null;

    private static string[] ReadStrings(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return [];
        }

        var count = reader.ReadArrayHeader();
        var items = new string[count];
        for (var i = 0; i < count; i++)
        {
            items[i] = ReadString(ref reader);
        }

        return items;
    }
}
