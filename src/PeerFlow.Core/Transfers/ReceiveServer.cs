using Microsoft.Extensions.Logging;

using PeerFlow.Transports;

namespace PeerFlow.Transfers;

/// <summary>
/// Accepts connections on a listener and receives one transfer per connection. A failing peer only ends its own
/// connection; with <c>once</c>, the server returns after the first transfer that got past the handshake.
/// </summary>
public sealed partial class ReceiveServer
{
    private readonly ITransportListener _listener;
    private readonly ReceiveOptions _options;
    private readonly ILogger _logger;
    private readonly Func<ITransferObserver> _observers;
    private readonly SemaphoreSlim _slots;
    private bool _once;
    private int _interrupted;

    public ReceiveServer(ITransportListener listener, ReceiveOptions options, ILogger logger, Func<ITransferObserver>? observers = null, int maxConcurrentTransfers = 8)
    {
        _listener = listener;
        _options = options;
        _logger = logger;
        _observers = observers ?? (() => NullTransferObserver.Instance);
        _slots = new SemaphoreSlim(maxConcurrentTransfers);
    }

    /// <summary>
    /// When set, every transfer gets its own <see cref="TransferControl"/> and its observer comes from here instead of
    /// the constructor's factory: how a daemon lets its user pause, resume and cancel transfers while they run.
    /// </summary>
    public Func<TransferControl, ITransferObserver>? ControlledObservers { get; init; }

    /// <summary>
    /// Serves until cancelled (or, with <paramref name="once"/>, until one transfer ends). Returns that transfer's
    /// result in once mode, <see langword="null"/> after a cancellation that interrupted nothing. Throws
    /// <see cref="OperationCanceledException"/> when cancellation interrupted a transfer, or came before the one
    /// transfer of once mode.
    /// </summary>
    public async Task<TransferResult?> RunAsync(bool once, CancellationToken cancellationToken)
    {
        _once = once;
        Warmup.Start();
        foreach (var directory in _options.Shares?.Select(s => s.Path) ?? [_options.Destination])
        {
            Resume.PartialStore.CleanStale(Path.GetFullPath(directory), _options.PartialMaxAge);
        }

        // Connections are served side by side even in once mode: a transfer's extra data streams arrive as
        // connections of their own while it runs.
        using var accepting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var outcome = new TaskCompletionSource<TransferResult?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = new List<Task>();
        try
        {
            while (!accepting.IsCancellationRequested)
            {
                ITransportConnection? connection;
                try
                {
                    connection = await _listener.AcceptAsync(accepting.Token).ConfigureAwait(false);
                    if (connection is null)
                    {
                        break;
                    }

                    running.RemoveAll(t => t.IsCompleted);
                    await _slots.WaitAsync(accepting.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        var (started, result, error) = await HandleAsync(connection, cancellationToken).ConfigureAwait(false);
                        if (once && started)
                        {
                            // The one transfer of once mode is over: stop accepting, report its outcome.
                            _ = error is null ? outcome.TrySetResult(result) : outcome.TrySetException(error);
                            await accepting.CancelAsync().ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        _slots.Release();
                    }
                }, CancellationToken.None));
            }
        }
        finally
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }

        if (outcome.Task.IsCompleted)
        {
            return await outcome.Task.ConfigureAwait(false);
        }

        if (cancellationToken.IsCancellationRequested && (once || _interrupted > 0))
        {
            throw new OperationCanceledException(cancellationToken);
        }

        return null;
    }

    /// <summary>
    /// Serves one connection. Started: a transfer got past its handshake and ended (with <paramref name="cancellationToken"/>
    /// not cancelled); then the result, or in once mode the error that ended it (otherwise reported here).
    /// </summary>
    private async Task<(bool Started, TransferResult? Result, Exception? Error)> HandleAsync(ITransportConnection connection, CancellationToken cancellationToken)
    {
        using var control = ControlledObservers is null ? null : new TransferControl();
        var observer = new StartWatcher(control is null ? _observers() : ControlledObservers!(control));
        var peer = EndPointText.Of(connection.RemoteEndPoint) ?? "?";
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                var result = await TransferReceiver.ServeAsync(connection, _options, observer, cancellationToken, control, acceptsJoins: true).ConfigureAwait(false);
                if (result is null)
                {
                    // A data stream of a transfer that its own connection reports on.
                    return (false, null, null);
                }

                LogTransferDone(peer, result.Files, result.Bytes, result.Failures.Count);
                observer.OnEnded(result, null);
                return (true, result, null);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                if (observer.Started)
                {
                    Interlocked.Increment(ref _interrupted);
                }

                return (false, null, null);
            }
            catch (Exception ex) when (observer.Started && ex is TransportException or TimeoutException)
            {
                // The connection dropped, not the transfer: what arrived is kept and the sender reconnects to
                // continue it, so the one transfer of once mode is not over yet.
                LogConnectionLost(peer, ex.Message);
                observer.OnConnectionLost(ex);
                return (false, null, null);
            }
            catch (Exception ex)
            {
                LogTransferFailed(peer, ex.Message);
                if (observer.Started)
                {
                    if (_once)
                    {
                        // The caller reports it: it is the outcome of the one transfer it waited for.
                        return (true, null, ex);
                    }

                    observer.OnEnded(null, ex);
                }

                return (false, null, null);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "transfer from {Peer} done: {Files} files, {Bytes} bytes, {Failures} failures")]
    private partial void LogTransferDone(string peer, long files, long bytes, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "connection from {Peer} lost ({Reason}); waiting for the sender to reconnect")]
    private partial void LogConnectionLost(string peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "transfer from {Peer} failed: {Reason}")]
    private partial void LogTransferFailed(string peer, string reason);

    /// <summary>Remembers whether the transfer got past the handshake (its offer was accepted).</summary>
    private sealed class StartWatcher(ITransferObserver inner) : ITransferObserver
    {
        public bool Started { get; private set; }

        public void OnStarted(TransferStarted started)
        {
            Started = true;
            inner.OnStarted(started);
        }

        public void OnStateChanged(TransferStateChanged change) => inner.OnStateChanged(change);

        public void OnProgress(TransferProgress progress) => inner.OnProgress(progress);

        public void OnFileCompleted(FileCompleted file) => inner.OnFileCompleted(file);

        public void OnEnded(TransferResult? result, Exception? error) => inner.OnEnded(result, error);

        public void OnConnectionLost(Exception error) => inner.OnConnectionLost(error);
    }
}
