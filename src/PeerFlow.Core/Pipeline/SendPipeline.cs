using System.Threading.Tasks.Dataflow;

using PeerFlow.Buffers;
using PeerFlow.Compression;
using PeerFlow.Files;
using PeerFlow.Protocol.Framing;
using PeerFlow.Protocol.Messages;
using PeerFlow.Session;
using PeerFlow.Transfers;

namespace PeerFlow.Pipeline;

/// <summary>
/// The sender's dataflow: enumerate → read (a bounded set of readers, hashing as they read) → compress (LZ4, ordered)
/// → write frames, on one connection or spread over several streams (each chunk to the stream with the shortest
/// queue; control messages on the main connection). The enumerator declares entries in batches before their files
/// reach the readers, so every data frame follows the declaration of its file. Every block is bounded; memory in
/// flight is about (readers + (2 + 2 x streams) x capacity) chunks whatever the size or number of files.
/// </summary>
internal sealed partial class SendPipeline
{
    /// <summary>
    /// Entries per declaration. Each batch costs a message each way and a pass through the verdict gate, so a no-op
    /// sync of 20,000 files is ~20 round trips instead of ~80 with 256 (measured: 20 ms less on 127.0.0.1). A batch
    /// also goes when its first entry waited <see cref="EntryBatchAge"/>, so a slow walk still streams.
    /// </summary>
    private const int EntryBatchSize = 1024;
    private const long EntryBatchAge = TimeSpan.TicksPerMillisecond * 20;

    /// <summary>Declared files that may wait for their verdicts at once (the enumerator runs this far ahead).</summary>
    private const int VerdictWindow = 16 * EntryBatchSize;
    private const int FlushThreshold = 256 * 1024;
    private const long FlushInterval = 5;

    private readonly FrameConnection _connection;
    private readonly SourceSet _sources;
    private readonly SendOptions _options;
    private readonly ChunkPool _pool;
    private readonly ProgressTracker _progress;
    private readonly ITransferObserver _observer;
    private readonly PipelineFault _fault;
    private readonly CompressionGovernor _governor;
    private readonly TransferSession _session;
    private readonly VerdictBook? _verdicts;
    private readonly BandwidthLimit? _limit;
    private readonly Lock _failuresLock = new();
    private readonly List<TransferFailure> _failures = [];
    private readonly StreamOutput[] _outputs;
    private int _nextOutput;
    private long _files;
    private long _directories;
    private long _bytes;
    private long _unchanged;
    private long _alreadyThere;

    /// <summary>
    /// Creates the pipeline; with <paramref name="verdicts"/>, each file waits for the receiver's verdict before it is
    /// read; <paramref name="dataStreams"/> are extra streams the receiver accepted, which carry data frames only.
    /// </summary>
    public SendPipeline(FrameConnection connection, TransferSession session, VerdictBook? verdicts, SourceSet sources, SendOptions options, ChunkPool pool, ProgressTracker progress, ITransferObserver observer, PipelineFault fault, IReadOnlyList<FrameConnection>? dataStreams = null)
    {
        _connection = connection;
        _outputs = [new StreamOutput(connection), .. (dataStreams ?? []).Select(s => new StreamOutput(s))];
        _session = session;
        _verdicts = verdicts;
        _sources = sources;
        _options = options;
        _pool = pool;
        _progress = progress;
        _observer = observer;
        _fault = fault;
        _governor = new CompressionGovernor(options.Compression);
        _limit = options.BandwidthLimit is { } rate ? new BandwidthLimit(rate, options.ChunkSize.MaxChunk + Protocol.ProtocolConstants.FrameHeaderLength + Protocol.ProtocolConstants.DataHeaderLength) : null;
    }

    /// <summary>The compression decisions of this transfer.</summary>
    public CompressionGovernor Compression => _governor;

    public long Files => _files;

    public long Directories => _directories;

    /// <summary>Symbolic links declared to the receiver.</summary>
    public long Links { get; private set; }

    /// <summary>The receiver understands symbolic link entries (capability <c>symlinks</c>); without it links are skipped with a warning.</summary>
    public bool PeerTakesLinks { get; init; }

    public long Bytes => _bytes;

    /// <summary>Files the receiver already had (or keeps by its conflict policy): not sent.</summary>
    public long Unchanged => _unchanged;

    /// <summary>Bytes not sent because the receiver had them (unchanged files, verified prefixes).</summary>
    public long BytesAlreadyThere => Interlocked.Read(ref _alreadyThere);

    public IReadOnlyList<TransferFailure> Failures
    {
        get
        {
            lock (_failuresLock)
            {
                return [.. _failures];
            }
        }
    }

    /// <summary>Runs until every entry is sent (and <see cref="TransferEnd"/> written) or the first error.</summary>
    public async Task RunAsync()
    {
        try
        {
            await RunBlocksAsync().ConfigureAwait(false);
        }
        finally
        {
            _limit?.Dispose();
        }
    }

    private async Task RunBlocksAsync()
    {
        var token = _fault.Token;
        foreach (var output in _outputs)
        {
            output.Block = new ActionBlock<SendItem>(item => WriteAsync(item, output), Options(1, _options.Capacity * 2, token));
        }

        // One stream: straight to its writer. Several: a router picks each chunk's stream.
        ITargetBlock<SendItem> tail = _outputs.Length == 1 ? _outputs[0].Block! : new ActionBlock<SendItem>(RouteAsync, Options(1, 1, token));
        ITargetBlock<SendItem> head = tail;
        TransformBlock<SendItem, SendItem>? compress = null;
        if (_options.Compression != CompressionMode.None)
        {
            compress = new TransformBlock<SendItem, SendItem>(Compress, Options(1, _options.Capacity, token));
            compress.LinkTo(tail, new DataflowLinkOptions { PropagateCompletion = true });
            head = compress;
        }

        var readers = new ActionBlock<FileWork>(work => ReadFileAsync(work, head, token), Options(_options.Readers, _options.Readers, token));
        var intake = Intake(readers, token);
        var producer = Task.Run(() => ProduceAsync(intake, readers, head, token), token);

        try
        {
            await producer.ConfigureAwait(false);
            await tail.Completion.ConfigureAwait(false);
            if (_outputs.Length > 1)
            {
                foreach (var output in _outputs)
                {
                    output.Block!.Complete();
                }

                await Task.WhenAll(_outputs.Select(o => o.Block!.Completion)).ConfigureAwait(false);
                await CloseDataStreamsAsync(token).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            _fault.Report(ex);
        }

        if (_fault.Token.IsCancellationRequested)
        {
            // Let every block finish what it is doing before the buffers they dropped are taken back.
            intake.Complete();
            readers.Complete();
            head.Complete();
            foreach (var output in _outputs)
            {
                output.Block!.Complete();
            }

            await Tasks.WhenAllQuietly([producer, intake.Completion, readers.Completion, compress?.Completion, tail.Completion, .. _outputs.Select(o => o.Block!.Completion)]).ConfigureAwait(false);
            _pool.ReclaimAll();
            _fault.ThrowIfFaulted(CancellationToken.None);
        }
    }

    private static ExecutionDataflowBlockOptions Options(int parallelism, int capacity, CancellationToken token) => new()
    {
        MaxDegreeOfParallelism = parallelism,
        BoundedCapacity = capacity,
        CancellationToken = token,
        EnsureOrdered = true,
    };

    private async Task ProduceAsync(ITargetBlock<SourceEntry[]> intake, ActionBlock<FileWork> readers, ITargetBlock<SendItem> head, CancellationToken token)
    {
        try
        {
            uint nextId = 0;
            var batch = new List<SourceEntry>(EntryBatchSize);
            var batchStarted = 0L;
            foreach (var entry in _sources.Enumerate())
            {
                token.ThrowIfCancellationRequested();
                if (entry.Kind == EntryKind.Symlink && !PeerTakesLinks)
                {
                    _sources.Warnings.Add($"skipped symbolic link '{entry.FullPath}': the receiver does not support symbolic links");
                    continue;
                }

                entry.Id = nextId++;
                if (batch.Count == 0)
                {
                    batchStarted = System.Diagnostics.Stopwatch.GetTimestamp();
                }

                batch.Add(entry);
                if (batch.Count == EntryBatchSize || System.Diagnostics.Stopwatch.GetElapsedTime(batchStarted).Ticks > EntryBatchAge)
                {
                    await DeclareAsync(batch, intake, head, token).ConfigureAwait(false);
                }
            }

            await DeclareAsync(batch, intake, head, token).ConfigureAwait(false);
            intake.Complete();
            await readers.Completion.ConfigureAwait(false);
            var end = new TransferEnd { Files = _files, Directories = _directories, Bytes = _bytes, Incomplete = _sources.Incomplete };
            await SendAsync(head, new ControlItem(end), token).ConfigureAwait(false);
            head.Complete();
        }
        catch (Exception ex)
        {
            _fault.Report(ex);
            throw;
        }
    }

    private async Task DeclareAsync(List<SourceEntry> batch, ITargetBlock<SourceEntry[]> intake, ITargetBlock<SendItem> head, CancellationToken token)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var infos = new EntryInfo[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            infos[i] = Declaration(batch[i]);
        }

        // The declaration is inside the ordered pipeline before any reader sees these files.
        await SendAsync(head, new ControlItem(new EntryBatch { Entries = infos, Compact = CompactEntries }), token).ConfigureAwait(false);
        var files = new List<SourceEntry>(batch.Count);
        foreach (var entry in batch)
        {
            if (entry.Kind == EntryKind.Directory)
            {
                _directories++;
            }
            else if (entry.Kind == EntryKind.Symlink)
            {
                // Declared, nothing to read: the receiver creates it (or refuses to) from the declaration alone.
                Links++;
            }
            else
            {
                files.Add(entry);
            }
        }

        // A batch's files go on together: with verdicts they wait for the batch's answer once, not one by one.
        if (files.Count > 0 && !await intake.SendAsync([.. files], token).ConfigureAwait(false))
        {
            throw new OperationCanceledException(token);
        }

        batch.Clear();
    }

    private static async ValueTask SendAsync(ITargetBlock<SendItem> target, SendItem item, CancellationToken token, ChunkBuffer? owned = null)
    {
        bool accepted;
        try
        {
            accepted = await target.SendAsync(item, token).ConfigureAwait(false);
        }
        catch
        {
            owned?.Dispose();
            throw;
        }

        if (!accepted)
        {
            owned?.Dispose();
            throw new OperationCanceledException("the pipeline stopped", token);
        }
    }

    private SendItem Compress(SendItem item)
    {
        try
        {
            if (item is ChunkItem { Compressed: false } chunk)
            {
                _governor.Observe(chunk.OriginalLength);
                if (!_governor.Enabled)
                {
                    return item;
                }

                var compressed = ChunkCompressor.TryCompress(chunk.Data.Span, _pool, _options.CompressionLevel, _options.RawBelow);
                if (compressed is not null)
                {
                    chunk.Data.Dispose();
                    chunk.Data = compressed;
                    chunk.Compressed = true;
                }
            }

            return item;
        }
        catch (Exception ex)
        {
            _fault.Report(ex);
            throw;
        }
    }

    private async Task WriteAsync(SendItem item, StreamOutput stream)
    {
        if (item is ChunkItem)
        {
            // While either side holds a pause, no data frame goes out.
            await _session.WaitWhilePausedAsync(_fault.Token).ConfigureAwait(false);
            if (_limit is not null)
            {
                await _limit.WaitAsync(((ChunkItem)item).Data.Length, _fault.Token).ConfigureAwait(false);
            }
        }

        var connection = stream.Connection;
        await connection.EnterOutputAsync(_fault.Token).ConfigureAwait(false);
        try
        {
            // Entering the output succeeds at once when it is free, cancelled or not. Once the pipeline has stopped,
            // nothing more may reach the wire: a frame written now would follow a gap left by the items the stopped
            // blocks dropped, and go out with the cancel message.
            if (_fault.Token.IsCancellationRequested)
            {
                (item as ChunkItem)?.Data.Dispose();
                _fault.Token.ThrowIfCancellationRequested();
            }

            var output = connection.Output;
            switch (item)
            {
                case ChunkItem chunk:
                    using (chunk.Data)
                    {
                        FrameWriter.WriteData(output, chunk.FileId, chunk.Offset, chunk.OriginalLength, chunk.Data.Span, chunk.Compressed);
                        stream.Unflushed += chunk.Data.Length;
                        Interlocked.Add(ref _dataFrameBytes, Protocol.ProtocolConstants.FrameHeaderLength + Protocol.ProtocolConstants.DataHeaderLength + chunk.Data.Length);
                        _progress.AddBytes(chunk.OriginalLength);
                    }

                    break;
                case ControlItem control:
                    FrameWriter.WriteControl(output, control.Message, CompressControl && control.Message is EntryBatch);
                    stream.Unflushed += 64;
                    if (control.Completes is { } file)
                    {
                        _progress.AddFile();
                        _observer.OnFileCompleted(new FileCompleted(file.RelativePath, file.Size));
                    }

                    break;
            }

            // Flush when enough has gathered, at the end, or when the queue ran dry and the last flush is not recent.
            // Flushing every time the queue is momentarily empty would cost a send (and a wake-up of the receiver)
            // per small file; the time bound keeps a stalled source from holding small frames back for long.
            var now = Environment.TickCount64;
            // With verdicts, readers wait for the answer to each batch: it must not sit in our buffer.
            if (stream.Unflushed >= FlushThreshold || item is ControlItem { Message: TransferEnd } || (_verdicts is not null && item is ControlItem { Message: EntryBatch })
                || (stream.Block!.InputCount == 0 && now - stream.LastFlush >= FlushInterval))
            {
                stream.Unflushed = 0;
                stream.LastFlush = now;
                await connection.FlushAsync(_fault.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            _fault.Report(ex);
            throw;
        }
        finally
        {
            connection.ExitOutput();
        }
    }
}
