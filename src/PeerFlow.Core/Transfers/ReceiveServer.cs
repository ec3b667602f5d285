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
    /// Serves until cancelled (or, with <paramref name="once"/>, until one transfer ends). Returns that transfer's
    /// result in once mode, <see langword="null"/> after a cancellation that interrupted nothing. Throws
    /// <see cref="OperationCanceledException"/> when cancellation interrupted a transfer, or came before the one
    /// transfer of once mode.
    /// </summary>
    public async Task<TransferResult?> RunAsync(bool once, CancellationToken cancellationToken)
    {
        _once = once;
        Warmup.Start();
        Resume.PartialStore.CleanStale(Path.GetFullPath(_options.Destination), _options.PartialMaxAge);
        var running = new List<Task>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                ITransportConnection? connection;
                try
                {
                    connection = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                if (connection is null)
                {
                    break;
                }

                if (once)
                {
                    var (started, result) = await HandleAsync(connection, cancellationToken).ConfigureAwait(false);
                    if (started)
                    {
                        return result;
                    }

                    continue;
                }

                running.RemoveAll(t => t.IsCompleted);
                await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        await HandleAsync(connection, cancellationToken).ConfigureAwait(false);
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

        if (cancellationToken.IsCancellationRequested && (once || _interrupted > 0))
        {
            throw new OperationCanceledException(cancellationToken);
        }

        return null;
    }

    private async Task<(bool Started, TransferResult? Result)> HandleAsync(ITransportConnection connection, CancellationToken cancellationToken)
    {
        var observer = new StartWatcher(_observers());
        var peer = connection.RemoteEndPoint?.ToString() ?? "?";
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                var result = await TransferReceiver.ReceiveAsync(connection, _options, observer, cancellationToken).ConfigureAwait(false);
                LogTransferDone(peer, result.Files, result.Bytes, result.Failures.Count);
                observer.OnEnded(result, null);
                return (true, result);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                if (observer.Started)
                {
                    Interlocked.Increment(ref _interrupted);
                }

                if (_once)
                {
                    throw;
                }

                return (observer.Started, null);
            }
            catch (Exception ex) when (observer.Started && ex is TransportException or TimeoutException)
            {
                // The connection dropped, not the transfer: what arrived is kept and the sender reconnects to
                // continue it, so the one transfer of once mode is not over yet.
                LogConnectionLost(peer, ex.Message);
                observer.OnConnectionLost(ex);
                return (false, null);
            }
            catch (Exception ex)
            {
                LogTransferFailed(peer, ex.Message);
                if (observer.Started)
                {
                    if (_once)
                    {
                        // The caller reports it: it is the outcome of the one transfer it waited for.
                        throw;
                    }

                    observer.OnEnded(null, ex);
                }

                return (false, null);
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
