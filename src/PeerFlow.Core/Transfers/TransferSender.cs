using PeerFlow.Files;
using PeerFlow.Resume;
using PeerFlow.Session;
using PeerFlow.Transports;

namespace PeerFlow.Transfers;

/// <summary>Sends a set of files and directories to a receiver.</summary>
public static class TransferSender
{
    /// <summary>
    /// Runs a whole transfer over one connection: handshake, offer, pipeline, and the receiver's summary. Returns
    /// the outcome; throws when the transfer cannot be completed (refused, connection lost, protocol error,
    /// cancelled). A lost connection is not re-established: use the overload that can connect again for that.
    /// </summary>
    public static Task<TransferResult> SendAsync(ITransportConnection connection, SourceSet sources, SendOptions? options = null, ITransferObserver? observer = null, CancellationToken cancellationToken = default, TransferControl? control = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ITransportConnection? unused = connection;
        ValueTask<ITransportConnection> ConnectOnce(CancellationToken _) => new(Interlocked.Exchange(ref unused, null) ?? throw new InvalidOperationException("a single connection cannot be reopened"));
        return SendAsync(ConnectOnce, sources, options ?? new SendOptions(), observer, cancellationToken, control, ownsConnections: false);
    }

    /// <summary>
    /// Runs a whole transfer, connecting with <paramref name="connect"/>. When the connection is lost after the
    /// receiver accepted the transfer (reset, or the receiver silent for <see cref="SessionTiming.PeerTimeout"/>), it
    /// connects again with backoff, up to <see cref="SendOptions.Reconnects"/> times in a row, and continues from
    /// what the receiver kept. A receiver that cannot be reached at all fails the transfer at once.
    /// </summary>
    public static Task<TransferResult> SendAsync(Func<CancellationToken, ValueTask<ITransportConnection>> connect, SourceSet sources, SendOptions? options = null, ITransferObserver? observer = null, CancellationToken cancellationToken = default, TransferControl? control = null)
        => SendAsync(connect, sources, options ?? new SendOptions(), observer, cancellationToken, control, ownsConnections: true);

    private static async Task<TransferResult> SendAsync(Func<CancellationToken, ValueTask<ITransportConnection>> connect, SourceSet sources, SendOptions options, ITransferObserver? observer, CancellationToken cancellationToken, TransferControl? control, bool ownsConnections)
    {
        ArgumentNullException.ThrowIfNull(connect);
        ArgumentNullException.ThrowIfNull(sources);
        observer ??= NullTransferObserver.Instance;
        var state = new TransferStateMachine(TransferDirection.Send);
        state.Changed += observer.OnStateChanged;
        using var cancel = control is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, control.Cancellation);
        var token = cancel?.Token ?? cancellationToken;
        return (await state.RunAsync(async machine => await RunAsync(connect, ownsConnections, sources, options, observer, control, machine, token).ConfigureAwait(false), token).ConfigureAwait(false))!;
    }

    private static async Task<TransferResult> RunAsync(Func<CancellationToken, ValueTask<ITransportConnection>> connect, bool ownsConnections, SourceSet sources, SendOptions options, ITransferObserver observer, TransferControl? control, TransferStateMachine state, CancellationToken cancellationToken)
    {
        var progress = new ProgressTracker(TransferDirection.Send);
        var resumeKey = options.ResumeKey is { Length: 0 } ? null : options.ResumeKey ?? ResumeKeys.For(sources);
        var failedAttempts = 0;
        var everStarted = false;
        var transferId = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        state.MoveTo(TransferState.Connecting);
        while (true)
        {
            var attempt = new SendAttempt(transferId, sources, options, observer, control, state, progress, resumeKey, ownsConnections && options.Streams > 1 ? connect : null);
            ITransportConnection? connection = null;
            try
            {
                Diagnostics.PhaseTrace.Mark("connecting");
                connection = await connect(cancellationToken).ConfigureAwait(false);
                Diagnostics.PhaseTrace.Mark("connected");
                return await attempt.RunAsync(connection, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ownsConnections && (everStarted |= attempt.Started) && IsConnectionLoss(ex) && !cancellationToken.IsCancellationRequested && failedAttempts < options.Reconnects)
            {
                // An attempt that got data moving resets the count: a link that drops now and then never gives up,
                // one that never comes back does after Reconnects tries.
                failedAttempts = attempt.Started ? 1 : failedAttempts + 1;
                var delay = TimeSpan.FromTicks(Math.Min(options.MaxReconnectDelay.Ticks, options.ReconnectDelay.Ticks << Math.Min(failedAttempts - 1, 16)));
                state.TryMoveTo(TransferState.Connecting, $"connection lost ({ex.Message}); reconnecting in {delay.TotalSeconds:0.#} s, attempt {failedAttempts} of {options.Reconnects}");
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await attempt.CloseStreamsAsync().ConfigureAwait(false);
                if (connection is not null && ownsConnections)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Whether an attempt failed because the link or the peer went away (worth connecting again), not because of what was said.</summary>
    private static bool IsConnectionLoss(Exception ex) => ex is TransportException or TimeoutException;
}

/// <summary>The receiver refused the transfer.</summary>
public sealed class TransferRefusedException(string reason) : Exception($"the receiver refused the transfer: {reason}");
