using System.Security.Cryptography;

using PeerFlow.Buffers;
using PeerFlow.Compression;
using PeerFlow.Files;
using PeerFlow.Pipeline;
using PeerFlow.Protocol;
using PeerFlow.Protocol.Messages;
using PeerFlow.Session;
using PeerFlow.Transports;

namespace PeerFlow.Transfers;

/// <summary>Sends a set of files and directories over one connection.</summary>
public static class TransferSender
{
    /// <summary>
    /// Runs a whole transfer: handshake, offer, pipeline, and the receiver's summary. Returns the outcome; throws
    /// when the transfer cannot be completed (refused, connection lost, protocol error, cancelled).
    /// </summary>
    public static async Task<TransferResult> SendAsync(ITransportConnection connection, SourceSet sources, SendOptions? options = null, ITransferObserver? observer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(sources);
        options ??= new SendOptions();
        observer ??= NullTransferObserver.Instance;
        var state = new TransferStateMachine(TransferDirection.Send);
        state.Changed += observer.OnStateChanged;
        return await state.RunAsync(machine => RunAsync(connection, sources, options, observer, machine, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<TransferResult> RunAsync(ITransportConnection connection, SourceSet sources, SendOptions options, ITransferObserver observer, TransferStateMachine state, CancellationToken cancellationToken)
    {
        var frames = new FrameConnection(connection);
        var progress = new ProgressTracker(TransferDirection.Send);

        TransferOffer offer;
        TransferReply reply;
        HashSet<string> capabilities;
        var (files, directories, bytes) = sources.Measure();
        state.MoveTo(TransferState.Connecting);
        using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            handshake.CancelAfter(options.HandshakeTimeout);
            try
            {
                capabilities = await Handshake.ConnectAsync(frames, handshake.Token).ConfigureAwait(false);
                progress.FilesTotal = files;
                progress.BytesTotal = bytes;
                offer = new TransferOffer
                {
                    TransferId = RandomNumberGenerator.GetBytes(16),
                    Roots = [.. sources.RootNames],
                    TotalFiles = files,
                    TotalDirectories = directories,
                    TotalBytes = bytes,
                    ChunkSize = options.ChunkSize.MaxChunk,
                };
                await frames.SendControlAsync(offer, handshake.Token).ConfigureAwait(false);
                reply = await frames.ReadControlAsync<TransferReply>(handshake.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"the receiver did not answer within {options.HandshakeTimeout.TotalSeconds:0} s");
            }
        }

        if (!reply.Accepted)
        {
            throw new TransferRefusedException(reply.Reason ?? "no reason given");
        }

        var effective = options;
        if (options.Compression != CompressionMode.None && !capabilities.Contains(ProtocolConstants.CapabilityLz4))
        {
            effective = new SendOptions { Compression = CompressionMode.None, ChunkSize = options.ChunkSize, Readers = options.Readers, Capacity = options.Capacity, Pool = options.Pool };
        }

        state.MoveTo(TransferState.Sending);
        observer.OnStarted(new TransferStarted(TransferDirection.Send, Convert.ToHexStringLower(offer.TransferId), connection.RemoteEndPoint?.ToString(), offer.Roots, offer.TotalFiles, offer.TotalBytes));
        using var fault = new PipelineFault(cancellationToken);
        using var ownedPool = options.Pool is null ? new ChunkPool() : null;
        var pool = options.Pool ?? ownedPool!;
        var pipeline = new SendPipeline(frames, sources, effective, pool, progress, observer, fault);
        using var reporting = new CancellationTokenSource();
        var reporter = progress.ReportAsync(observer, options.ProgressInterval, reporting.Token);
        var summaryTask = ReadSummaryAsync(frames, fault);
        TransferSummary summary;
        try
        {
            await pipeline.RunAsync().ConfigureAwait(false);
            summary = await summaryTask.WaitAsync(fault.Token).ConfigureAwait(false);
        }
        catch
        {
            await Tasks.WhenAllQuietly(summaryTask).ConfigureAwait(false);
            if (fault.Error is TransportException && !cancellationToken.IsCancellationRequested)
            {
                // A receiver that fails says why, then closes. If our writes saw the close first, its reason is
                // probably already waiting in our input: the user should get the reason, not "connection closed".
                await ThrowPeerReasonIfAnyAsync(frames, summaryTask).ConfigureAwait(false);
            }

            connection.Abort();
            fault.ThrowIfFaulted(cancellationToken);
            throw;
        }
        finally
        {
            await reporting.CancelAsync().ConfigureAwait(false);
            await reporter.ConfigureAwait(false);
        }

        observer.OnProgress(progress.Snapshot());
        await frames.Output.CompleteAsync().ConfigureAwait(false);
        var failures = pipeline.Failures.Concat((summary.Failures ?? []).Select(f => new TransferFailure(SafePath.Printable(f.Path), SafePath.Printable(f.Reason)))).ToList();
        return new TransferResult(
            TransferDirection.Send,
            summary.Success && failures.Count == 0,
            summary.FilesWritten,
            summary.DirectoriesCreated,
            summary.BytesWritten,
            summary.FilesSkipped,
            progress.Elapsed,
            failures,
            [.. sources.Warnings],
            reply.RootNames ?? []);
    }

    private static async Task ThrowPeerReasonIfAnyAsync(FrameConnection frames, Task<TransferSummary> summaryTask)
    {
        if (summaryTask.Exception?.InnerException is PeerErrorException reported)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(reported);
        }

        if (summaryTask.IsCompletedSuccessfully)
        {
            return;
        }

        try
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await frames.ReadControlAsync(grace.Token).ConfigureAwait(false);
        }
        catch (PeerErrorException)
        {
            throw;
        }
        catch (Exception)
        {
            // No reason to be had: the transport error stands.
        }
    }

    private static async Task<TransferSummary> ReadSummaryAsync(FrameConnection frames, PipelineFault fault)
    {
        try
        {
            return await frames.ReadControlAsync<TransferSummary>(fault.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            fault.Report(ex);
            throw;
        }
    }
}

/// <summary>The receiver refused the transfer.</summary>
public sealed class TransferRefusedException(string reason) : Exception($"the receiver refused the transfer: {reason}");
