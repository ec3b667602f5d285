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
/// The receiver's dataflow: frame loop (transport) → decompress (LZ4, ordered) → demultiplex by file id and offset
/// and write (<see cref="DestinationWriter"/>). The frame loop copies each payload out of the connection's buffer
/// into a pooled chunk once; bounded blocks push back on the frame loop, and through it on the sender.
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

    public ReceivePipeline(FrameConnection connection, TransferSession session, DestinationWriter writer, ChunkPool pool, PipelineFault fault, bool lz4, int capacity)
    {
        _connection = connection;
        _session = session;
        _writer = writer;
        _pool = pool;
        _fault = fault;
        _lz4 = lz4;
        _capacity = capacity;
    }

    /// <summary>Runs until the sender's <see cref="TransferEnd"/> is processed, or the first error.</summary>
    /// <param name="keepPartial">After a failure: whether partial files are kept for a later attempt (decided then, from the error).</param>
    public async Task RunAsync(Func<Exception?, bool> keepPartial)
    {
        var token = _fault.Token;
        var decompress = new TransformBlock<ReceiveItem, ReceiveItem>(Decompress, Options(_capacity, token));
        var write = new ActionBlock<ReceiveItem>(Write, Options(_capacity, token));
        decompress.LinkTo(write, new DataflowLinkOptions { PropagateCompletion = true });
        var frames = Task.Run(() => FrameLoopAsync(decompress, token), token);
        try
        {
            await frames.ConfigureAwait(false);
            await write.Completion.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _fault.Report(ex);
        }

        if (token.IsCancellationRequested || !_writer.Completed)
        {
            decompress.Complete();
            await Tasks.WhenAllQuietly(frames, decompress.Completion, write.Completion).ConfigureAwait(false);
            _pool.ReclaimAll();
            _writer.Cleanup(keepPartial(_fault.Error));
            _fault.ThrowIfFaulted(CancellationToken.None);
            throw new ProtocolException("the sender stopped before the end of the transfer");
        }
    }

    private static ExecutionDataflowBlockOptions Options(int capacity, CancellationToken token) => new()
    {
        MaxDegreeOfParallelism = 1,
        BoundedCapacity = capacity,
        CancellationToken = token,
        SingleProducerConstrained = true,
    };

    private async Task FrameLoopAsync(ITargetBlock<ReceiveItem> head, CancellationToken token)
    {
        try
        {
            await _connection.ReadFramesAsync(frame => OnFrameAsync(frame, head, token), token).ConfigureAwait(false);
            head.Complete();
        }
        catch (Exception ex)
        {
            _fault.Report(ex);
            throw;
        }
    }

    private async ValueTask<bool> OnFrameAsync(Frame frame, ITargetBlock<ReceiveItem> head, CancellationToken token)
    {
        ReceiveItem item;
        var more = true;
        if (frame.Type == FrameType.Data)
        {
            if (frame.IsCompressed && !_lz4)
            {
                throw new ProtocolException("compressed data frame, but LZ4 was not negotiated");
            }

            // The payload lives in the connection's buffer only until the next await: copy it out first.
            var data = _pool.Rent((int)frame.Payload.Length);
            frame.Payload.CopyTo(data.Array.AsSpan());
            item = new ReceivedChunk(frame.FileId, frame.Offset, frame.OriginalLength, data, frame.IsCompressed);
        }
        else
        {
            var message = ControlMessageSerializer.Deserialize(frame.Payload);
            switch (message)
            {
                case EntryBatch or FileEnd or FileAbort:
                    break;
                case TransferEnd:
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

        if (!await head.SendAsync(item, token).ConfigureAwait(false))
        {
            (item as ReceivedChunk)?.Data.Dispose();
            throw new OperationCanceledException(token);
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
            switch (item)
            {
                case ReceivedChunk chunk:
                    using (chunk.Data)
                    {
                        _writer.Write(chunk);
                    }

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
