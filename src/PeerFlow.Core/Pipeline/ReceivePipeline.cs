using System.Buffers;
using System.Threading.Tasks.Dataflow;

using PeerFlow.Buffers;
using PeerFlow.Compression;
using PeerFlow.Protocol;
using PeerFlow.Protocol.Framing;
using PeerFlow.Protocol.Messages;
using PeerFlow.Session;
using PeerFlow.Transfers;

namespace PeerFlow.Pipeline;

/// <summary>
/// The receiver's dataflow: frame loops (one per stream) → decompress (LZ4, in parallel, ordered) → demultiplex by
/// file id and offset and write (<see cref="DestinationWriter"/>). A frame loop copies each payload out of the
/// connection's buffer into a pooled chunk once; bounded blocks push back on the frame loops, and through them on the
/// sender. The main connection carries control messages and data; extra streams (<see cref="AddStream"/>) carry data
/// only. A data stream's chunk waits until the main connection has declared its file, so the writer always sees a
/// declaration before its data.
/// </summary>
internal sealed class ReceivePipeline
{
    private readonly FrameConnection _connection;
    private readonly DestinationWriter _writer;
    private readonly ChunkPool _pool;
    private readonly PipelineFault _fault;
    private readonly TransferSession _session;
    private readonly bool _lz4;
    private readonly int _capacity;
    private readonly int _decoders;
    private readonly Lock _streamsLock = new();
    private readonly List<Task> _streams = [];
    private readonly DeclaredWatermark _declared = new();
    private readonly TaskCompletionSource<ITargetBlock<ReceiveItem>> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _sealed;

    public ReceivePipeline(FrameConnection connection, TransferSession session, DestinationWriter writer, ChunkPool pool, PipelineFault fault, bool lz4, int capacity, int decoders = 1)
    {
        _connection = connection;
        _session = session;
        _writer = writer;
        _pool = pool;
        _fault = fault;
        _lz4 = lz4;
        _capacity = capacity;
        _decoders = Math.Max(1, decoders);
    }

    /// <summary>
    /// Starts reading data frames from an extra stream; the task ends when the sender closes it (or the transfer
    /// fails). Null once the main connection has ended the transfer: no stream can join any more.
    /// </summary>
    public Task? AddStream(FrameConnection stream)
    {
        lock (_streamsLock)
        {
            if (_sealed)
            {
                return null;
            }

            // A stream may join before the pipeline runs: its loop then waits for the blocks to exist.
            var loop = Task.Run(() => RunStreamAsync(stream));
            _streams.Add(loop);
            return loop;
        }
    }

    /// <summary>Runs until the sender's <see cref="TransferEnd"/> is processed, or the first error.</summary>
    /// <param name="keepPartial">After a failure: whether partial files are kept for a later attempt (decided then, from the error).</param>
    public async Task RunAsync(Func<Exception?, bool> keepPartial)
    {
        var token = _fault.Token;
        var decompress = new TransformBlock<ReceiveItem, ReceiveItem>(Decompress, Options(_capacity * _decoders, token, _decoders));
        var write = new ActionBlock<ReceiveItem>(Write, Options(_capacity, token));
        decompress.LinkTo(write, new DataflowLinkOptions { PropagateCompletion = true });
        _started.TrySetResult(decompress);

        var frames = Task.Run(() => FrameLoopAsync(decompress, token), token);
        try
        {
            await frames.ConfigureAwait(false);
            await WhenStreamsEndAsync().ConfigureAwait(false);
            decompress.Complete();
            await write.Completion.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _fault.Report(ex);
        }

        if (token.IsCancellationRequested || !_writer.Completed)
        {
            decompress.Complete();
            await Tasks.WhenAllQuietly(frames, WhenStreamsEndAsync(), decompress.Completion, write.Completion).ConfigureAwait(false);
            _pool.ReclaimAll();
            _writer.Cleanup(keepPartial(_fault.Error));
            _fault.ThrowIfFaulted(CancellationToken.None);
            throw new ProtocolException("the sender stopped before the end of the transfer");
        }
    }

    private static ExecutionDataflowBlockOptions Options(int capacity, CancellationToken token, int parallelism = 1) => new()
    {
        MaxDegreeOfParallelism = parallelism,
        BoundedCapacity = capacity,
        CancellationToken = token,
        EnsureOrdered = true,
    };

    /// <summary>Stops streams from joining and waits for the ones that did to end.</summary>
    private Task WhenStreamsEndAsync()
    {
        lock (_streamsLock)
        {
            _sealed = true;
            return Task.WhenAll(_streams);
        }
    }

    private async Task FrameLoopAsync(ITargetBlock<ReceiveItem> head, CancellationToken token)
    {
        try
        {
            await _connection.ReadFramesAsync(frame => OnFrameAsync(frame, head, token), token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _fault.Report(ex);
            throw;
        }
        finally
        {
            // Data still waiting on other streams for a declaration will not get one: let the writer say so.
            _declared.Close();
        }
    }

    private async Task RunStreamAsync(FrameConnection stream)
    {
        var head = await _started.Task.WaitAsync(_fault.Token).ConfigureAwait(false);
        await DataLoopAsync(stream, head, _fault.Token).ConfigureAwait(false);
    }

    /// <summary>An extra stream: data frames (and heartbeats) until the sender closes it.</summary>
    private async Task DataLoopAsync(FrameConnection stream, ITargetBlock<ReceiveItem> head, CancellationToken token)
    {
        try
        {
            await stream.ReadFramesAsync(frame => OnStreamFrameAsync(frame, head, token), token, endAtClose: true).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _fault.Report(ex);
            throw;
        }
    }

    private ValueTask<bool> OnStreamFrameAsync(Frame frame, ITargetBlock<ReceiveItem> head, CancellationToken token)
    {
        if (frame.Type != FrameType.Data)
        {
            return ControlMessageSerializer.Deserialize(frame) is Heartbeat
                ? ValueTask.FromResult(true)
                : throw new ProtocolException("a data stream carries only data frames and heartbeats");
        }

        var chunk = CopyChunk(frame);
        return _declared.Covers(chunk.FileId) ? PostAsync(chunk, head, token) : WaitAndPostAsync(chunk, head, token);
    }

    private async ValueTask<bool> WaitAndPostAsync(ReceivedChunk chunk, ITargetBlock<ReceiveItem> head, CancellationToken token)
    {
        try
        {
            await _declared.WaitAsync(chunk.FileId, token).ConfigureAwait(false);
        }
        catch
        {
            chunk.Data.Dispose();
            throw;
        }

        return await PostAsync(chunk, head, token).ConfigureAwait(false);
    }

    private static async ValueTask<bool> PostAsync(ReceiveItem item, ITargetBlock<ReceiveItem> head, CancellationToken token)
    {
        if (!await head.SendAsync(item, token).ConfigureAwait(false))
        {
            (item as ReceivedChunk)?.Data.Dispose();
            throw new OperationCanceledException(token);
        }

        return true;
    }

    private ReceivedChunk CopyChunk(Frame frame)
    {
        if (frame.IsCompressed && !_lz4)
        {
            throw new ProtocolException("compressed data frame, but LZ4 was not negotiated");
        }

        // The payload lives in the connection's buffer only until the next await: copy it out first.
        var data = _pool.Rent((int)frame.Payload.Length);
        frame.Payload.CopyTo(data.Array.AsSpan());
        return new ReceivedChunk(frame.FileId, frame.Offset, frame.OriginalLength, data, frame.IsCompressed);
    }

    private async ValueTask<bool> OnFrameAsync(Frame frame, ITargetBlock<ReceiveItem> head, CancellationToken token)
    {
        ReceiveItem item;
        var more = true;
        if (frame.Type == FrameType.Data)
        {
            item = CopyChunk(frame);
        }
        else
        {
            var message = ControlMessageSerializer.Deserialize(frame);
            switch (message)
            {
                case EntryBatch or FileEnd or FileAbort or BlockCopy:
                    break;
                case TransferEnd:
                    Diagnostics.PhaseTrace.Mark("transfer end received");
                    more = false;
                    break;
                case ErrorMessage error:
                    throw new PeerErrorException(error.Code, error.Message);
                case CancelTransfer cancel:
                    throw new PeerCancelledException(cancel.Reason, cancel.DiscardPartial);
                case Heartbeat:
                    return true;
                case PauseTransfer pause:
                    _session.OnPeerPaused(pause.Reason);
                    return true;
                case ResumeTransfer:
                    _session.OnPeerResumed();
                    return true;
                default:
                    throw new ProtocolException($"unexpected {message.GetType().Name} during the transfer");
            }

            item = new ReceivedControl(message);
        }

        await PostAsync(item, head, token).ConfigureAwait(false);
        if (item is ReceivedControl { Message: EntryBatch { Entries: [.., var last] } })
        {
            // Posted first, announced after: a data stream's chunk for these files follows their declaration.
            _declared.Advance(last.Id);
        }

        return more;
    }

    private ReceiveItem Decompress(ReceiveItem item)
    {
        try
        {
            if (item is ReceivedChunk { Compressed: true } chunk)
            {
                var plain = ChunkCompressor.Decompress(chunk.Data.Span, chunk.OriginalLength, _pool);
                chunk.Data.Dispose();
                chunk.Data = plain;
                chunk.Compressed = false;
            }

            return item;
        }
        catch (InvalidDataException ex)
        {
            var error = new ProtocolException(ex.Message, ex);
            _fault.Report(error);
            throw error;
        }
        catch (Exception ex)
        {
            _fault.Report(ex);
            throw;
        }
    }

    private void Write(ReceiveItem item)
    {
        try
        {
            if (_fault.Token.IsCancellationRequested)
            {
                // The transfer is over (failed or cancelled): what is still on its way to the writer is dropped, not
                // judged; its buffers come back when the pipeline reclaims them.
                (item as ReceivedChunk)?.Data.Dispose();
                return;
            }

            switch (item)
            {
                case ReceivedChunk chunk:
                    _writer.Write(chunk);
                    break;
                case ReceivedControl { Message: EntryBatch batch }:
                    _writer.Declare(batch);
                    break;
                case ReceivedControl { Message: FileEnd end }:
                    _writer.Finish(end);
                    break;
                case ReceivedControl { Message: FileAbort abort }:
                    _writer.Abort(abort);
                    break;
                case ReceivedControl { Message: BlockCopy copy }:
                    _writer.Copy(copy);
                    break;
                case ReceivedControl { Message: TransferEnd end }:
                    _writer.Complete(end);
                    break;
            }
        }
        catch (Exception ex)
        {
            _fault.Report(ex);
            throw;
        }
    }
}
