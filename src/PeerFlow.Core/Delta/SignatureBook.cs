using PeerFlow.Protocol;
using PeerFlow.Protocol.Messages;

namespace PeerFlow.Delta;

/// <summary>
/// The sender's record of the block signatures a receiver sends for its delta files: a reader waits for its file's
/// last part, then takes them all as a <see cref="BlockIndex"/>. Thread-safe; every part is checked.
/// </summary>
internal sealed class SignatureBook
{
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, Entry> _files = [];
    private const long MaxOutstanding = 256L * 1024 * 1024;

    private Exception? _failed;
    private long _outstanding;

    /// <summary>Bytes of signatures received (they cross the link too).</summary>
    public long Bytes { get; private set; }

    public void Record(BlockSignatures part)
    {
        if (part.BlockSize is < DeltaSignatures.MinBlockSize or > DeltaSignatures.MaxBlockSize || (part.Blocks?.Length ?? 0) % DeltaSignatures.EntryLength != 0)
        {
            throw new ProtocolException($"block signatures for file id {part.Id} with block size {part.BlockSize} and {part.Blocks?.Length} bytes");
        }

        TaskCompletionSource<BlockIndex>? done = null;
        Entry entry;
        lock (_lock)
        {
            entry = _files.TryGetValue(part.Id, out var known) ? known : _files[part.Id] = new Entry();
            if (entry.Final || (entry.BlockSize != 0 && entry.BlockSize != part.BlockSize))
            {
                throw new ProtocolException($"block signatures for file id {part.Id} after its last part, or with another block size");
            }

            entry.BlockSize = part.BlockSize;
            entry.Parts.Add(part.Blocks ?? []);
            entry.Length += part.Blocks?.Length ?? 0;
            Bytes += part.Blocks?.Length ?? 0;
            _outstanding += part.Blocks?.Length ?? 0;
            if (entry.Length / DeltaSignatures.EntryLength > DeltaSignatures.MaxBlocks || _outstanding > MaxOutstanding)
            {
                throw new ProtocolException($"more than {DeltaSignatures.MaxBlocks} block signatures for file id {part.Id}, or more than {MaxOutstanding} bytes of signatures waiting");
            }

            if (part.Final)
            {
                entry.Final = true;
                done = entry.Ready;
            }
        }

        done?.TrySetResult(Build(entry));
    }

    /// <summary>The index of file <paramref name="id"/>'s signatures, once its last part has arrived.</summary>
    public async ValueTask<BlockIndex> TakeAsync(uint id, CancellationToken cancellationToken)
    {
        Task<BlockIndex> ready;
        lock (_lock)
        {
            if (_failed is not null)
            {
                throw _failed;
            }

            ready = (_files.TryGetValue(id, out var entry) ? entry : _files[id] = new Entry()).Ready.Task;
        }

        var index = await ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _files.Remove(id);
            _outstanding -= (long)index.Count * DeltaSignatures.EntryLength;
        }

        return index;
    }

    /// <summary>No more signatures will come: every waiter fails with <paramref name="error"/>.</summary>
    public void Fail(Exception error)
    {
        List<Entry> waiting;
        lock (_lock)
        {
            _failed ??= error;
            waiting = [.. _files.Values];
        }

        foreach (var entry in waiting)
        {
            entry.Ready.TrySetException(error);
        }
    }

    private static BlockIndex Build(Entry entry)
    {
        var all = new byte[entry.Length];
        var at = 0;
        foreach (var part in entry.Parts)
        {
            part.CopyTo(all, at);
            at += part.Length;
        }

        return new BlockIndex(entry.BlockSize, all);
    }

    private sealed class Entry
    {
        public TaskCompletionSource<BlockIndex> Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<byte[]> Parts { get; } = [];

        public long Length { get; set; }

        public int BlockSize { get; set; }

        public bool Final { get; set; }
    }
}
