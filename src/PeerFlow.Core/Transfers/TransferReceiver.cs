using PeerFlow.Buffers;
using PeerFlow.Files;
using PeerFlow.Pipeline;
using PeerFlow.Protocol;
using PeerFlow.Protocol.Messages;
using PeerFlow.Resume;
using PeerFlow.Session;
using PeerFlow.Sync;
using PeerFlow.Transports;

namespace PeerFlow.Transfers;

/// <summary>Receives one transfer from a connection into a destination directory.</summary>
public static class TransferReceiver
{
    /// <summary>
    /// Runs a whole transfer on an accepted connection. The peer is told about any fatal error before the
    /// connection closes. Files are only ever added under <see cref="ReceiveOptions.Destination"/>. What an
    /// interrupted transfer received is kept (see <see cref="Resume.PartialStore"/>) for the sender's next attempt.
    /// </summary>
    public static async Task<TransferResult> ReceiveAsync(ITransportConnection connection, ReceiveOptions options, ITransferObserver? observer = null, CancellationToken cancellationToken = default, TransferControl? control = null)
        => await ServeAsync(connection, options, observer, cancellationToken, control, acceptsJoins: false).ConfigureAwait(false)
            ?? throw new ProtocolException("the connection was a data stream of another transfer, not a transfer");

    /// <summary>
    /// <see cref="ReceiveAsync"/> for a receiver that may also be reached by the extra data streams of its transfers
    /// (<paramref name="acceptsJoins"/>: it serves a listener). Returns null when the connection was such a stream:
    /// it has been served as part of its transfer.
    /// </summary>
    internal static async Task<TransferResult?> ServeAsync(ITransportConnection connection, ReceiveOptions options, ITransferObserver? observer, CancellationToken cancellationToken, TransferControl? control, bool acceptsJoins)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        observer ??= NullTransferObserver.Instance;
        var state = new TransferStateMachine(TransferDirection.Receive);
        state.Changed += observer.OnStateChanged;
        using var cancel = control is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, control.Cancellation);
        var token = cancel?.Token ?? cancellationToken;
        return await state.RunAsync(machine => SecureAndRunAsync(connection, options, observer, control, machine, acceptsJoins, token), token).ConfigureAwait(false);
    }

    private static async Task<TransferResult?> SecureAndRunAsync(ITransportConnection connection, ReceiveOptions options, ITransferObserver observer, TransferControl? control, TransferStateMachine state, bool acceptsJoins, CancellationToken cancellationToken)
    {
        ITransportConnection secured;
        using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            handshake.CancelAfter(options.HandshakeTimeout);
            try
            {
                secured = await Security.ReceiverSecurity.AcceptAsync(connection, options, handshake.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"the peer did not complete the handshake within {options.HandshakeTimeout.TotalSeconds:0} s");
            }
        }

        if (secured == connection)
        {
            return await RunAsync(connection, options, observer, control, state, acceptsJoins, cancellationToken).ConfigureAwait(false);
        }

        await using (secured.ConfigureAwait(false))
        {
            return await RunAsync(secured, options, observer, control, state, acceptsJoins, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<TransferResult?> RunAsync(ITransportConnection connection, ReceiveOptions options, ITransferObserver observer, TransferControl? control, TransferStateMachine state, bool acceptsJoins, CancellationToken cancellationToken)
    {
        Diagnostics.PhaseTrace.Mark("connection accepted");
        var frames = new FrameConnection(connection);
        var destination = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Destination));
        SyncPlan? sync = null;
        var progress = new ProgressTracker(TransferDirection.Receive);
        TransferSession? session = null;
        PartialStore? store = null;
        var discard = false;
        StreamJoins.Joinable? joinable = null;
        TargetScan? scan = null;
        try
        {
            TransferOffer offer;
            HashSet<string> capabilities;
            using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                handshake.CancelAfter(options.HandshakeTimeout);
                try
                {
                    (capabilities, var join) = await Handshake.AcceptAsync(frames, handshake.Token).ConfigureAwait(false);
                    if (join is not null)
                    {
                        // An extra data stream of a transfer this process is receiving, not a transfer of its own.
                        await StreamJoins.ServeAsync(frames, join, Security.TlsLayer.RemoteId(connection), cancellationToken).ConfigureAwait(false);
                        return null;
                    }

                    if (options.Shares is null)
                    {
                        Directory.CreateDirectory(destination);
                    }

                    state.MoveTo(TransferState.Connecting);
                    offer = await frames.ReadControlAsync<TransferOffer>(handshake.Token).ConfigureAwait(false);
                    Diagnostics.PhaseTrace.Mark("offer received");
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

            var resumable = capabilities.Contains(ProtocolConstants.CapabilityResume) && offer.ResumeKey is { Length: 16 };
            var transferId = Convert.ToHexStringLower(offer.TransferId);
            string? shareRefusal = null;
            if (options.Shares is not null)
            {
                // A daemon: the target names the share; the rest of the transfer runs with that share's options.
                (var shareOptions, offer.Target, shareRefusal) = ReceiveShare.Resolve(options, offer.Target, Security.TlsLayer.RemoteId(connection));
                if (shareOptions is not null)
                {
                    options = shareOptions;
                    destination = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Destination));
                    Directory.CreateDirectory(destination);
                }
            }

            SyncPlan? plan = null;
            var refusal = shareRefusal ?? Security.ReceiverSecurity.Refusal(connection, options)
                ?? (offer.Roots.Contains(PartialStore.StateDirectoryName, StringComparer.Ordinal)
                    ? $"'{PartialStore.StateDirectoryName}' is reserved for PeerFlow's own partial files; rename that root"
                    : null)
                ?? (offer.Sync is null ? null
                    : !capabilities.Contains(ProtocolConstants.CapabilityResume) ? "a sync needs verdicts (capability 'resume')"
                    : SyncPlan.Refusal(offer, options.Sync, options.Trash, out plan));
            var dryRun = offer.Sync?.DryRun == true;
            var targetExisted = true;
            if (refusal is null)
            {
                // From here on the transfer's destination is its target (a dry run creates nothing, not even that).
                refusal = TransferTarget.Resolve(destination, offer.Target, create: !dryRun, out destination, out targetExisted);
                sync = plan;
            }

            Dictionary<string, RootPlan>? plans = null;
            if (refusal is null && dryRun)
            {
                plans = new Dictionary<string, RootPlan>(StringComparer.Ordinal) { [offer.Roots[0]] = new RootPlan("", targetExisted is false) };
            }
            else if (refusal is null)
            {
                var tag = resumable ? ResumeKeys.StoreTag(offer.ResumeKey!, Security.TlsLayer.RemoteId(connection)) : "t-" + transferId;
                PartialStore.CleanStale(destination, options.PartialMaxAge, keep: tag);
                store = await PartialStore.OpenAsync(destination, tag, transferId, offer.Roots, () => connection.Abort(new TransportException(TransportError.ConnectionAborted, "a newer attempt of this transfer took over")), cancellationToken).ConfigureAwait(false);
                if (store.Previous is { } previous)
                {
                    plans = offer.Roots.ToDictionary(r => r, r => previous.Roots[r], StringComparer.Ordinal);
                }
                else
                {
                    // A sync's root is the target itself (stored under the empty name); other roots go inside it.
                    (plans, refusal) = sync is not null
                        ? (new Dictionary<string, RootPlan>(StringComparer.Ordinal) { [offer.Roots[0]] = new RootPlan("", !targetExisted) }, null)
                        : RootPlan.Decide(offer, destination, options.OnConflict, options.PortableNames);
                    refusal ??= options.CheckFreeSpace && sync is null ? NotEnoughSpace(destination, offer.TotalBytes) : null;
                    if (refusal is not null)
                    {
                        plans = null;
                    }
                    else
                    {
                        store.RecordRoots(offer.Roots.Select(r => (r, plans![r])));
                    }
                }
            }

            if (plans is null)
            {
                discard = true;
                await frames.SendControlAsync(new TransferReply { Accepted = false, Reason = refusal }, cancellationToken).ConfigureAwait(false);
                throw new TransferRefusedException(refusal!);
            }

            // Verdicts cost the sender a round trip per batch: only when they can save something.
            var verdicts = capabilities.Contains(ProtocolConstants.CapabilityResume)
                && (sync is not null || store!.Previous is not null || (options.OnConflict == ConflictPolicy.Skip && plans.Values.Any(p => !p.Fresh)));
            var extraStreams = capabilities.Contains(ProtocolConstants.CapabilityStreams) && (acceptsJoins || connection is IMultiplexedTransportConnection)
                ? Math.Clamp(offer.ExtraStreams, 0, Math.Min(options.MaxStreams - 1, ProtocolConstants.MaxExtraStreams))
                : 0;
            // The sender sets up after the reply: the target is read meanwhile, and judged from memory as entries come.
            scan = sync is not null && targetExisted ? TargetScan.Start(destination, sync.Protect) : null;
            joinable = extraStreams > 0 ? StreamJoins.Register(offer.TransferId, extraStreams, Security.TlsLayer.RemoteId(connection)) : null;
            Diagnostics.PhaseTrace.Mark("accepting");
            await frames.SendControlAsync(new TransferReply { Accepted = true, RootNames = [.. offer.Roots.Select(r => plans[r].StoredName)], Verdicts = verdicts, ExtraStreams = extraStreams, StreamToken = joinable?.Token }, cancellationToken).ConfigureAwait(false);
            progress.FilesTotal = offer.TotalFiles;
            progress.BytesTotal = offer.TotalBytes;
            session = new TransferSession(frames, state, options.Timing, capabilities.Contains(ProtocolConstants.CapabilityResume), "receiver");
            state.MoveTo(TransferState.Receiving);
            control?.Attach(session);
            session.Start();
            observer.OnStarted(new TransferStarted(TransferDirection.Receive, transferId, EndPointText.Of(connection.RemoteEndPoint), [.. offer.Roots.Select(SafePath.Printable)], offer.TotalFiles, offer.TotalBytes, Security.TlsLayer.RemoteId(connection)?.Text, 1 + extraStreams)
            {
                Target = offer.Target is null ? null : SafePath.Printable(offer.Target),
                Sync = sync is not null,
            });

            using var fault = new PipelineFault(cancellationToken);
            using var ownedPool = options.Pool is null ? new ChunkPool() : null;
            var pool = options.Pool ?? ownedPool!;
            using var tree = new DirectoryTree(destination);
            var writer = new DestinationWriter(destination, options, store, verdicts ? session.Post : null, plans, progress, observer, tree) { MultiStream = extraStreams > 0, Sync = sync, Scan = scan };
            var pipeline = new ReceivePipeline(frames, session, writer, pool, fault, capabilities.Contains(ProtocolConstants.CapabilityLz4), options.Capacity, options.Writers);
            joinable?.Attach(pipeline, session);
            using var accepting = CancellationTokenSource.CreateLinkedTokenSource(fault.Token);
            var streamAccepts = joinable is not null && connection is IMultiplexedTransportConnection multiplexed
                ? AcceptStreamsAsync(multiplexed, accepting.Token)
                : Task.CompletedTask;
            using var reporting = new CancellationTokenSource();
            var reporter = progress.ReportAsync(observer, options.ProgressInterval, reporting.Token);
            try
            {
                await pipeline.RunAsync(error =>
                {
                    discard = !resumable || (error is PeerCancelledException { DiscardPartial: true }) || (control?.IsCancelled == true && control.DiscardPartial);
                    return !discard;
                }).ConfigureAwait(false);
            }
            catch (Exception) when (session.Silence is { } silence)
            {
                throw silence;
            }
            finally
            {
                joinable?.Dispose();
                await accepting.CancelAsync().ConfigureAwait(false);
                await Tasks.WhenAllQuietly(streamAccepts).ConfigureAwait(false);
                await reporting.CancelAsync().ConfigureAwait(false);
                await reporter.ConfigureAwait(false);
            }

            observer.OnProgress(progress.Snapshot());
            Diagnostics.PhaseTrace.Mark("summing up");
            var summary = new TransferSummary
            {
                Success = writer.Failures.Count == 0,
                FilesWritten = writer.FilesWritten,
                DirectoriesCreated = writer.DirectoriesCreated,
                BytesWritten = writer.BytesWritten,
                FilesSkipped = writer.FilesSkipped,
                Failures = [.. writer.Failures.Select(f => new EntryFailure { Path = f.Path, Reason = f.Reason })],
                EntriesDeleted = writer.EntriesDeleted,
                BytesDeleted = writer.BytesDeleted,
                DeletionRefused = writer.DeletionRefused,
            };

            // Everything is in place: nothing is left to resume. After failures the store (with where the roots went)
            // stays, so running the same send again fills in what failed instead of making "photos (1)".
            if (summary.Success && store is not null)
            {
                store.Delete();
                store = null;
            }
            await session.DisposeAsync().ConfigureAwait(false);
            await frames.SendControlAsync(summary, cancellationToken).ConfigureAwait(false);
            await frames.Output.CompleteAsync().ConfigureAwait(false);
            await frames.DrainInputAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            return new TransferResult(TransferDirection.Receive, summary.Success, writer.FilesWritten, writer.DirectoriesCreated, writer.BytesWritten, writer.FilesSkipped, progress.Elapsed, writer.Failures, [], [.. plans.Values.Select(p => p.StoredName.Length == 0 ? offer.Target ?? "." : p.StoredName)], writer.BytesAlreadyThere, writer.LinksCreated)
            {
                Sync = sync is null ? null : writer.Report(),
            };
        }
        catch (Exception ex)
        {
            if (session is not null)
            {
                await session.DisposeAsync().ConfigureAwait(false);
            }

            if (ex is PeerCancelledException)
            {
                // The peer ended it on purpose and closes: nothing to tell it.
            }
            else if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                if (session is not null)
                {
                    await session.TrySendCancelAsync("cancelled by the receiver", discard).ConfigureAwait(false);
                }
                else if (await frames.TrySendErrorAsync(ErrorCode.Cancelled, "cancelled by the receiver").ConfigureAwait(false))
                {
                    await frames.Output.CompleteAsync().ConfigureAwait(false);
                }
                await frames.DrainInputAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            }
            else if (ex is TransportException && session is not null)
            {
                // A connection of the transfer broke (with several streams, maybe not this one): to the sender that
                // is a lost connection to come back on, not a reason to give up, so it gets a reset, not an error.
                connection.Abort((TransportException)ex);
            }
            else if (ex is TransferRefusedException || await frames.TrySendErrorAsync(ToErrorCode(ex), SafePath.Printable(ex.Message)).ConfigureAwait(false))
            {
                // Tell the peer why (a refusal has been told already), then close gracefully: a reset could destroy
                // the message before the peer reads it.
                await frames.Output.CompleteAsync().ConfigureAwait(false);
                await frames.DrainInputAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            }
            else
            {
                connection.Abort();
            }

            throw;
        }
        finally
        {
            joinable?.Dispose();
            scan?.Dispose();
            control?.Detach(session!);
            if (store is not null)
            {
                if (discard)
                {
                    store.Delete();
                }
                else
                {
                    store.Dispose();
                }
            }
        }
    }

    /// <summary>
    /// The extra data streams of a transfer over a multiplexed connection (QUIC): each new stream the sender opens
    /// joins like a connection of its own would, until the connection or the transfer ends.
    /// </summary>
    private static async Task AcceptStreamsAsync(IMultiplexedTransportConnection connection, CancellationToken cancellationToken)
    {
        var served = new List<Task>();
        try
        {
            while (await connection.AcceptStreamAsync(cancellationToken).ConfigureAwait(false) is { } stream)
            {
                served.Add(ServeStreamAsync(stream, connection, cancellationToken));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or TransportException)
        {
        }

        await Tasks.WhenAllQuietly([.. served]).ConfigureAwait(false);
    }

    private static async Task ServeStreamAsync(ITransportConnection stream, ITransportConnection connection, CancellationToken cancellationToken)
    {
        await using (stream.ConfigureAwait(false))
        {
            var frames = new FrameConnection(stream);
            try
            {
                var (_, join) = await Handshake.AcceptAsync(frames, cancellationToken).ConfigureAwait(false);
                await StreamJoins.ServeAsync(frames, join ?? throw new ProtocolException("a new stream of a transfer must join it"), Security.TlsLayer.RemoteId(connection), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A stream that cannot join is simply not used; the sender sees its refusal or the stream close.
                stream.Abort();
            }
        }
    }

    /// <summary>
    /// Why a first attempt cannot fit, or null. (A resumed transfer is not checked: part of what it announces is
    /// already here, and a disk that fills anyway ends the transfer with a clear error and keeps what arrived.)
    /// </summary>
    private static string? NotEnoughSpace(string destination, long needed)
    {
        long free;
        try
        {
            free = new DriveInfo(destination).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }

        return needed > free
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"not enough space in the destination: the transfer needs {needed:N0} bytes, {free:N0} are free")
            : null;
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
