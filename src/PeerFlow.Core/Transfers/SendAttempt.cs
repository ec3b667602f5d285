using PeerFlow.Buffers;
using PeerFlow.Compression;
using PeerFlow.Files;
using PeerFlow.Pipeline;
using PeerFlow.Protocol;
using PeerFlow.Protocol.Messages;
using PeerFlow.Session;
using PeerFlow.Sync;
using PeerFlow.Transports;

namespace PeerFlow.Transfers;

/// <summary>One attempt of a send over one connection; <see cref="TransferSender"/> makes another after a connection loss.</summary>
/// <remarks>
/// Every attempt of one send offers the same transfer id, so a receiver knows a reconnect from another sender.
/// Extra data streams are new connections made with <c>connectAgain</c> (null: only a multiplexed connection's own
/// streams), opened after the receiver accepted them.
/// </remarks>
internal sealed class SendAttempt(byte[] transferId, SourceSet sources, SendOptions options, ITransferObserver observer, TransferControl? control, TransferStateMachine state, ProgressTracker progress, byte[]? resumeKey, Func<CancellationToken, ValueTask<ITransportConnection>>? connectAgain)
{
    private readonly List<ITransportConnection> _streams = [];

    /// <summary>The receiver accepted the offer and data started to flow.</summary>
    public bool Started { get; private set; }

    public async Task<TransferResult> RunAsync(ITransportConnection connection, CancellationToken cancellationToken)
    {
        var frames = new FrameConnection(connection);
        TransferOffer offer;
        TransferReply reply;
        HashSet<string> capabilities;
        // A sync walks its tree once, while the receiver compares: its totals grow as it declares.
        var (files, directories, bytes) = options.Sync is null ? sources.Measure() : sources.Totals ?? default;
        using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            handshake.CancelAfter(options.HandshakeTimeout);
            try
            {
                capabilities = await Handshake.ConnectAsync(frames, handshake.Token).ConfigureAwait(false);
                Diagnostics.PhaseTrace.Mark("handshake done");
                offer = new TransferOffer
                {
                    TransferId = transferId,
                    Roots = [.. sources.RootNames],
                    TotalFiles = files,
                    TotalDirectories = directories,
                    TotalBytes = bytes,
                    ChunkSize = options.ChunkSize.MaxChunk,
                    ResumeKey = resumeKey,
                    ExtraStreams = connectAgain is not null || connection is IMultiplexedTransportConnection ? options.Streams - 1 : 0,
                    Target = options.Target,
                    Sync = SyncRequest(),
                };
                if (offer.Sync is not null && !capabilities.Contains(ProtocolConstants.CapabilitySync))
                {
                    throw new TransferRefusedException("it does not support sync (an older PeerFlow); update it, or use send");
                }

                await frames.SendControlAsync(offer, handshake.Token).ConfigureAwait(false);
                reply = await frames.ReadControlAsync<TransferReply>(handshake.Token).ConfigureAwait(false);
                Diagnostics.PhaseTrace.Mark("reply received");
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

        var dataStreams = await OpenStreamsAsync(connection, reply, capabilities, cancellationToken).ConfigureAwait(false);
        var effective = options;
        if (options.Compression != CompressionMode.None && !capabilities.Contains(ProtocolConstants.CapabilityLz4))
        {
            effective = new SendOptions { Compression = CompressionMode.None, ChunkSize = options.ChunkSize, Readers = options.Readers, Capacity = options.Capacity, Pool = options.Pool, BandwidthLimit = options.BandwidthLimit, Timing = options.Timing };
        }

        var supportsSession = capabilities.Contains(ProtocolConstants.CapabilityResume);
        var session = new TransferSession(frames, state, options.Timing, supportsSession, "sender");
        foreach (var stream in dataStreams)
        {
            session.AddStream(stream, heartbeats: true, watch: false);
        }

        progress.Restart();
        progress.FilesTotal = files;
        progress.BytesTotal = bytes;
        Started = true;
        state.MoveTo(TransferState.Sending);
        control?.Attach(session);
        session.Start();
        observer.OnStarted(new TransferStarted(TransferDirection.Send, Convert.ToHexStringLower(offer.TransferId), EndPointText.Of(connection.RemoteEndPoint), offer.Roots, offer.TotalFiles, offer.TotalBytes, Security.TlsLayer.RemoteId(connection)?.Text, 1 + dataStreams.Count)
        {
            Target = offer.Target,
            Sync = offer.Sync is not null,
        });
        using var fault = new PipelineFault(cancellationToken);
        using var ownedPool = options.Pool is null ? new ChunkPool() : null;
        var pool = options.Pool ?? ownedPool!;
        var verdicts = reply.Verdicts && supportsSession ? new VerdictBook() : null;
        var signatures = offer.Sync?.Delta == true ? new Delta.SignatureBook() : null;
        var pipeline = new SendPipeline(frames, session, verdicts, sources, effective, pool, progress, observer, fault, dataStreams)
        {
            PeerTakesLinks = capabilities.Contains(ProtocolConstants.CapabilitySymlinks),
            Sync = offer.Sync,
            Signatures = signatures,
            CompressControl = capabilities.Contains(ProtocolConstants.CapabilityLz4Control),
            CompactEntries = capabilities.Contains(ProtocolConstants.CapabilityCompactEntries),
        };
        using var reporting = new CancellationTokenSource();
        var reporter = progress.ReportAsync(observer, options.ProgressInterval, reporting.Token);
        var deletions = new DeletionTally(observer, offer.Sync?.DryRun == true);
        var summaryTask = ReadControlAsync(frames, session, verdicts, fault, deletions, signatures);
        TransferSummary summary;
        try
        {
            Diagnostics.PhaseTrace.Mark("pipeline started");
            await pipeline.RunAsync().ConfigureAwait(false);
            Diagnostics.PhaseTrace.Mark("everything sent");
            summary = await summaryTask.WaitAsync(fault.Token).ConfigureAwait(false);
            Diagnostics.PhaseTrace.Mark("summary received");
        }
        catch (Exception ex)
        {
            await Tasks.WhenAllQuietly(summaryTask).ConfigureAwait(false);
            await session.DisposeAsync().ConfigureAwait(false);
            control?.Detach(session);
            if (cancellationToken.IsCancellationRequested)
            {
                // Tell the receiver, and let it read that before the connection goes: a reset now would destroy
                // the message (and everything queued before it) in its input.
                await session.TrySendCancelAsync("cancelled by the sender", control?.DiscardPartial ?? false).ConfigureAwait(false);
                await frames.DrainInputAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                fault.ThrowIfFaulted(cancellationToken);
                throw;
            }
            else if (session.Silence is { } silence)
            {
                connection.Abort();
                throw silence;
            }
            else if (fault.Error is TransportException || ex is TransportException)
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

        await session.DisposeAsync().ConfigureAwait(false);
        control?.Detach(session);
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
            reply.RootNames ?? [],
            pipeline.BytesAlreadyThere,
            pipeline.Links)
        {
            Sync = offer.Sync is null ? null : pipeline.SyncReport(summary) with { WireBytes = pipeline.DataFrameBytes + (signatures?.Bytes ?? 0), BytesCopied = pipeline.DeltaCopied },
        };
    }

    /// <summary>A sync's request as the offer carries it: the options, what the sources leave out (protected from deletion), whether links are synced.</summary>
    private SyncRequest? SyncRequest()
    {
        if (options.Sync is not { } sync)
        {
            return null;
        }

        if (sources.RootPaths.Count != 1)
        {
            throw new ArgumentException("a sync mirrors exactly one directory");
        }

        return new SyncRequest
        {
            Checksum = sync.Checksum,
            Delete = sync.Delete,
            MaxDelete = sync.MaxDelete ?? -1,
            MaxDeletePercent = sync.MaxDeletePercent,
            Trash = sync.Trash,
            DryRun = sync.DryRun,
            Protect = [.. sources.FilterOf(sources.RootPaths[0]).Lines],
            Links = sources.IncludeLinks,
            Delta = !sync.WholeFile,
        };
    }

    /// <summary>
    /// Opens the extra data streams the receiver accepted, all at once: new connections (checked to reach the same
    /// peer ID as the main one before anything is sent) or new streams of a multiplexed connection. A stream that
    /// cannot be opened or is refused is left out (with a warning); the transfer goes on with the others.
    /// </summary>
    private async Task<IReadOnlyList<FrameConnection>> OpenStreamsAsync(ITransportConnection connection, TransferReply reply, HashSet<string> capabilities, CancellationToken cancellationToken)
    {
        var count = Math.Min(reply.ExtraStreams, options.Streams - 1);
        if (count <= 0 || reply.StreamToken is not { Length: ProtocolConstants.StreamTokenLength } || !capabilities.Contains(ProtocolConstants.CapabilityStreams))
        {
            return [];
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.HandshakeTimeout);
        var opening = Enumerable.Range(1, count).Select(i => OpenStreamAsync(connection, reply.StreamToken, i, timeout.Token)).ToArray();
        await Tasks.WhenAllQuietly(opening).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var opened = new List<FrameConnection>();
        foreach (var task in opening)
        {
            if (task.IsCompletedSuccessfully)
            {
                opened.Add(task.Result);
            }
            else
            {
                sources.Warnings.Add($"data stream not opened ({task.Exception?.InnerException?.Message ?? "timed out"}); sending over {1 + opening.Count(t => t.IsCompletedSuccessfully)} stream(s)");
            }
        }

        return opened;
    }

    private async Task<FrameConnection> OpenStreamAsync(ITransportConnection connection, byte[] token, int number, CancellationToken cancellationToken)
    {
        var stream = connection is IMultiplexedTransportConnection multiplexed
            ? await multiplexed.OpenStreamAsync(cancellationToken).ConfigureAwait(false)
            : await connectAgain!(cancellationToken).ConfigureAwait(false);
        lock (_streams)
        {
            _streams.Add(stream);
        }

        if (connection is not IMultiplexedTransportConnection && Security.TlsLayer.RemoteId(stream) != Security.TlsLayer.RemoteId(connection))
        {
            throw new ProtocolException($"a data stream reached peer ID {Security.TlsLayer.RemoteId(stream)?.ToString() ?? "(plaintext)"}, not the receiver's {Security.TlsLayer.RemoteId(connection)?.ToString() ?? "(plaintext)"}");
        }

        var frames = new FrameConnection(stream);
        await Handshake.JoinAsync(frames, new JoinStream { TransferId = transferId, Token = token, Stream = number }, cancellationToken).ConfigureAwait(false);
        return frames;
    }

    /// <summary>Closes the extra streams of this attempt.</summary>
    public async ValueTask CloseStreamsAsync()
    {
        ITransportConnection[] streams;
        lock (_streams)
        {
            streams = [.. _streams];
            _streams.Clear();
        }

        foreach (var stream in streams)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task ThrowPeerReasonIfAnyAsync(FrameConnection frames, Task<TransferSummary> summaryTask)
    {
        if (summaryTask.Exception?.InnerException is PeerErrorException or PeerCancelledException)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(summaryTask.Exception.InnerException);
        }

        if (summaryTask.IsCompletedSuccessfully)
        {
            return;
        }

        try
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            while (true)
            {
                // Heartbeats and verdicts may come first; only the reason matters now.
                await frames.ReadControlAsync(grace.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is PeerErrorException or PeerCancelledException)
        {
            throw;
        }
        catch (Exception)
        {
            // No reason to be had: the transport error stands.
        }
    }

    /// <summary>Reads what the receiver sends while we send: heartbeats, pauses, verdicts, and finally the summary.</summary>
    private static async Task<TransferSummary> ReadControlAsync(FrameConnection frames, TransferSession session, VerdictBook? verdicts, PipelineFault fault, DeletionTally deletions, Delta.SignatureBook? signatures)
    {
        try
        {
            while (true)
            {
                switch (await frames.ReadControlAsync(fault.Token).ConfigureAwait(false))
                {
                    case TransferSummary summary:
                        return summary;
                    case Heartbeat:
                        break;
                    case PauseTransfer pause:
                        session.OnPeerPaused(pause.Reason);
                        break;
                    case ResumeTransfer:
                        session.OnPeerResumed();
                        break;
                    case EntryVerdicts answer when verdicts is not null:
                        if (answer.Verdicts is { Length: > 0 })
                        {
                            // Something is to be sent (in a sync, listed verdicts are sends, updates and deltas).
                            Warmup.StartDataPath();
                        }

                        verdicts.Record(answer);
                        break;
                    case SyncDeletions deleted:
                        deletions.Record(deleted);
                        break;
                    case BlockSignatures part when signatures is not null:
                        signatures.Record(part);
                        break;
                    case var other:
                        throw new ProtocolException($"unexpected {other.GetType().Name} from the receiver during the transfer");
                }
            }
        }
        catch (Exception ex)
        {
            fault.Report(ex);
            verdicts?.Fail(ex);
            signatures?.Fail(ex);
            throw;
        }
    }
}
