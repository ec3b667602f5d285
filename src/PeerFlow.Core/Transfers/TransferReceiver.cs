using PeerFlow.Buffers;
using PeerFlow.Files;
using PeerFlow.Pipeline;
using PeerFlow.Protocol;
using PeerFlow.Protocol.Messages;
using PeerFlow.Session;
using PeerFlow.Transports;

namespace PeerFlow.Transfers;

/// <summary>Receives one transfer from a connection into a destination directory.</summary>
public static class TransferReceiver
{
    /// <summary>
    /// Runs a whole transfer on an accepted connection. The peer is told about any fatal error before the
    /// connection closes. Files are only ever added under <see cref="ReceiveOptions.Destination"/>.
    /// </summary>
    public static async Task<TransferResult> ReceiveAsync(ITransportConnection connection, ReceiveOptions options, ITransferObserver? observer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        observer ??= NullTransferObserver.Instance;
        var state = new TransferStateMachine(TransferDirection.Receive);
        state.Changed += observer.OnStateChanged;
        return await state.RunAsync(machine => RunAsync(connection, options, observer, machine, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<TransferResult> RunAsync(ITransportConnection connection, ReceiveOptions options, ITransferObserver observer, TransferStateMachine state, CancellationToken cancellationToken)
    {
        var frames = new FrameConnection(connection);
        var destination = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Destination));
        var progress = new ProgressTracker(TransferDirection.Receive);
        try
        {
            Directory.CreateDirectory(destination);
            state.MoveTo(TransferState.Connecting);
            TransferOffer offer;
            HashSet<string> capabilities;
            using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                handshake.CancelAfter(options.HandshakeTimeout);
                try
                {
                    capabilities = await Handshake.AcceptAsync(frames, handshake.Token).ConfigureAwait(false);
                    offer = await frames.ReadControlAsync<TransferOffer>(handshake.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"the peer did not complete the handshake within {options.HandshakeTimeout.TotalSeconds:0} s");
                }
            }

            if (offer.TransferId is not { Length: 16 })
            {
                throw new ProtocolException("the offer's transfer id must be 16 bytes");
            }

            var (plans, refusal) = RootPlan.Decide(offer, destination, options.OnConflict);
            if (plans is null)
            {
                await frames.SendControlAsync(new TransferReply { Accepted = false, Reason = refusal }, cancellationToken).ConfigureAwait(false);
                throw new TransferRefusedException(refusal!);
            }

            await frames.SendControlAsync(new TransferReply { Accepted = true, RootNames = [.. offer.Roots.Select(r => plans[r].StoredName)] }, cancellationToken).ConfigureAwait(false);
            progress.FilesTotal = offer.TotalFiles;
            progress.BytesTotal = offer.TotalBytes;
            var transferId = Convert.ToHexStringLower(offer.TransferId);
            state.MoveTo(TransferState.Receiving);
            observer.OnStarted(new TransferStarted(TransferDirection.Receive, transferId, connection.RemoteEndPoint?.ToString(), [.. offer.Roots.Select(SafePath.Printable)], offer.TotalFiles, offer.TotalBytes));

            using var fault = new PipelineFault(cancellationToken);
            using var ownedPool = options.Pool is null ? new ChunkPool() : null;
            var pool = options.Pool ?? ownedPool!;
            var writer = new DestinationWriter(destination, options, transferId[..12], plans, progress, observer);
            var pipeline = new ReceivePipeline(frames, writer, pool, fault, capabilities.Contains(ProtocolConstants.CapabilityLz4), options.Capacity);
            using var reporting = new CancellationTokenSource();
            var reporter = progress.ReportAsync(observer, options.ProgressInterval, reporting.Token);
            try
            {
                await pipeline.RunAsync().ConfigureAwait(false);
            }
            finally
            {
                await reporting.CancelAsync().ConfigureAwait(false);
                await reporter.ConfigureAwait(false);
            }

            observer.OnProgress(progress.Snapshot());
            var summary = new TransferSummary
            {
                Success = writer.Failures.Count == 0,
                FilesWritten = writer.FilesWritten,
                DirectoriesCreated = writer.DirectoriesCreated,
                BytesWritten = writer.BytesWritten,
                FilesSkipped = writer.FilesSkipped,
                Failures = [.. writer.Failures.Select(f => new EntryFailure { Path = f.Path, Reason = f.Reason })],
            };
            await frames.SendControlAsync(summary, cancellationToken).ConfigureAwait(false);
            await frames.Output.CompleteAsync().ConfigureAwait(false);
            await DrainAsync(frames, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            return new TransferResult(TransferDirection.Receive, summary.Success, writer.FilesWritten, writer.DirectoriesCreated, writer.BytesWritten, writer.FilesSkipped, progress.Elapsed, writer.Failures, [], [.. plans.Values.Select(p => p.StoredName)]);
        }
        catch (Exception ex)
        {
            // Tell the peer why (a refusal has been told already), then close gracefully: a reset could destroy the
            // message before the peer reads it.
            if (ex is TransferRefusedException || await frames.TrySendErrorAsync(ToErrorCode(ex), SafePath.Printable(ex.Message)).ConfigureAwait(false))
            {
                await frames.Output.CompleteAsync().ConfigureAwait(false);
                await DrainAsync(frames, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            }
            else
            {
                connection.Abort();
            }

            throw;
        }
    }

    /// <summary>Waits briefly for the sender to close its side, so our summary is not lost to a reset.</summary>
    private static async Task DrainAsync(FrameConnection frames, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            while (true)
            {
                var result = await frames.Input.ReadAsync(timeout.Token).ConfigureAwait(false);
                frames.Input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or TransportException or IOException or InvalidOperationException)
        {
        }
    }

    private static ErrorCode ToErrorCode(Exception ex) => ex switch
    {
        ProtocolException => ErrorCode.ProtocolViolation,
        InvalidPathException => ErrorCode.InvalidPath,
        TransferRefusedException => ErrorCode.Refused,
        OperationCanceledException => ErrorCode.Cancelled,
        IOException or UnauthorizedAccessException => ErrorCode.IoError,
        _ => ErrorCode.Internal,
    };
}
