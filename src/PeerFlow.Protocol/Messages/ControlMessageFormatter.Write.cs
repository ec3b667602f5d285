using MessagePack;

namespace PeerFlow.Protocol.Messages;

/// <summary>The collection writers of <see cref="ControlMessageFormatter"/>.</summary>
internal sealed partial class ControlMessageFormatter
{
    private static void WriteStrings(ref MessagePackWriter writer, string[]? items)
    {
        if (items is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(items.Length);
        foreach (var item in items)
        {
            writer.Write(item);
        }
    }

    private static void WriteEntries(ref MessagePackWriter writer, EntryInfo[]? entries)
    {
        if (entries is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(entries.Length);
        foreach (var e in entries)
        {
            writer.WriteArrayHeader(8);
            writer.Write(e.Id);
            writer.Write(e.Path);
            writer.Write((byte)e.Kind);
            writer.Write(e.Size);
            writer.Write(e.ModifiedUnixNanoseconds);
            writer.Write(e.Mode);
            writer.Write(e.LinkTarget);
            writer.Write(e.Hash);
        }
    }

    private static void WriteCompactEntries(ref MessagePackWriter writer, CompactEntry[]? entries)
    {
        if (entries is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(entries.Length);
        foreach (var e in entries)
        {
            writer.WriteArrayHeader(10);
            writer.Write(e.IdStep);
            writer.Write(e.SharedBytes);
            writer.Write(e.Rest);
            writer.Write((byte)e.Kind);
            writer.Write(e.SizeStep);
            writer.Write(e.SecondsStep);
            writer.Write(e.Nanoseconds);
            if (e.Mode is { } mode)
            {
                writer.Write(mode);
            }
            else
            {
                writer.WriteNil();
            }

            writer.Write(e.LinkTarget);
            writer.Write(e.Hash);
        }
    }

    private static void WriteFailures(ref MessagePackWriter writer, EntryFailure[]? failures)
    {
        if (failures is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(failures.Length);
        foreach (var f in failures)
        {
            writer.WriteArrayHeader(2);
            writer.Write(f.Path);
            writer.Write(f.Reason);
        }
    }

    private static void WriteVerdicts(ref MessagePackWriter writer, EntryVerdict[]? verdicts)
    {
        if (verdicts is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(verdicts.Length);
        foreach (var v in verdicts)
        {
            writer.WriteArrayHeader(4);
            writer.Write(v.Id);
            writer.Write((byte)v.Kind);
            writer.Write(v.Offset);
            writer.Write(v.PrefixHash);
        }
    }

    private static void WriteSync(ref MessagePackWriter writer, SyncRequest? sync)
    {
        if (sync is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(9);
        writer.Write(sync.Checksum);
        writer.Write(sync.Delete);
        writer.Write(sync.MaxDelete);
        writer.Write(sync.MaxDeletePercent);
        writer.Write(sync.Trash);
        writer.Write(sync.DryRun);
        WriteStrings(ref writer, sync.Protect);
        writer.Write(sync.Links);
        writer.Write(sync.Delta);
    }

    private static void WriteDeletions(ref MessagePackWriter writer, DeletedEntry[]? entries)
    {
        if (entries is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(entries.Length);
        foreach (var e in entries)
        {
            writer.WriteArrayHeader(3);
            writer.Write(e.Path);
            writer.Write((byte)e.Kind);
            writer.Write(e.Size);
        }
    }
}
