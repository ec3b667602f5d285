using System.Threading.Tasks.Dataflow;

using PeerFlow.Session;

namespace PeerFlow.Pipeline;

/// <summary>The several-streams part of <see cref="SendPipeline"/>: routing chunks over the streams, closing them.</summary>
internal sealed partial class SendPipeline
{
    /// <summary>Several streams: control messages go on the main connection, each chunk to the stream with the shortest queue.</summary>
    private async Task RouteAsync(SendItem item)
    {
        var target = item switch
        {
            ChunkItem { OnMain: true } => _outputs[0],
            ChunkItem { Pinned: true } chunk => _outputs[chunk.FileId % _outputs.Length],
            ChunkItem => ShortestQueue(),
            _ => _outputs[0],
        };

        await SendAsync(target.Block!, item, _fault.Token, (item as ChunkItem)?.Data).ConfigureAwait(false);
    }

    private StreamOutput ShortestQueue()
    {
        // Starting after the last choice, so equal queues take turns.
        StreamOutput? best = null;
        var start = _nextOutput;
        for (var i = 0; i < _outputs.Length; i++)
        {
            var candidate = _outputs[(start + i) % _outputs.Length];
            if (best is null || candidate.Block!.InputCount < best.Block!.InputCount)
            {
                best = candidate;
                _nextOutput = (start + i + 1) % _outputs.Length;
            }
        }

        return best!;
    }

    /// <summary>Flushes and closes the extra streams: the receiver reads each to its end.</summary>
    private async Task CloseDataStreamsAsync(CancellationToken token)
    {
        foreach (var output in _outputs.Skip(1))
        {
            await output.Connection.EnterOutputAsync(token).ConfigureAwait(false);
            try
            {
                await output.Connection.FlushAsync(token).ConfigureAwait(false);
                await output.Connection.Output.CompleteAsync().ConfigureAwait(false);
            }
            finally
            {
                output.Connection.ExitOutput();
            }
        }
    }

    /// <summary>One stream's writer and its flushing state.</summary>
    private sealed class StreamOutput(FrameConnection connection)
    {
        public FrameConnection Connection { get; } = connection;

        public ActionBlock<SendItem>? Block { get; set; }

        public long Unflushed { get; set; }

        public long LastFlush { get; set; }
    }
}
