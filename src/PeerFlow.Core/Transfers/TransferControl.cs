using PeerFlow.Session;

namespace PeerFlow.Transfers;

/// <summary>
/// Pause, resume and cancel for one running transfer, from any thread. Create one, pass it to
/// <see cref="TransferSender"/> or <see cref="TransferReceiver"/>, and call it while the transfer runs; calls before
/// the transfer starts take effect when it does (a transfer paused before it starts connects, then waits).
/// Every call is idempotent. The peer is told: both sides report Paused, and both end Cancelled after a cancel.
/// </summary>
public sealed class TransferControl : IDisposable
{
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _cancel = new();
    private TransferSession? _session;
    private bool _paused;

    /// <summary>Whether this side asked for a pause (the peer may hold one too: see the transfer's state).</summary>
    public bool IsPaused
    {
        get
        {
            lock (_lock)
            {
                return _paused;
            }
        }
    }

    /// <summary>Whether <see cref="CancelAsync"/> was called.</summary>
    public bool IsCancelled => _cancel.IsCancellationRequested;

    /// <summary>Whether the receiver is asked to delete what it kept of the transfer (see <see cref="CancelAsync"/>).</summary>
    public bool DiscardPartial { get; private set; }

    internal CancellationToken Cancellation => _cancel.Token;

    /// <summary>Stops data from flowing until <see cref="ResumeAsync"/>; the peer is told and reports Paused too.</summary>
    public Task PauseAsync(CancellationToken cancellationToken = default) => SetPausedAsync(true, cancellationToken);

    /// <summary>Lets data flow again from the exact byte where it stopped.</summary>
    public Task ResumeAsync(CancellationToken cancellationToken = default) => SetPausedAsync(false, cancellationToken);

    /// <summary>
    /// Ends the transfer on purpose: both sides end Cancelled. The receiver keeps the data it has, so running the same
    /// transfer again continues where it stopped, unless <paramref name="discardPartial"/> asks it to delete it.
    /// Nothing half-written is ever left at a final path.
    /// </summary>
    public Task CancelAsync(bool discardPartial = false)
    {
        lock (_lock)
        {
            if (!_cancel.IsCancellationRequested)
            {
                DiscardPartial = discardPartial;
            }
        }

        return _cancel.CancelAsync();
    }

    internal void Attach(TransferSession session)
    {
        bool paused;
        lock (_lock)
        {
            _session = session;
            paused = _paused;
        }

        if (paused)
        {
            // The connection is new: tell this peer about a pause asked for before (or during a reconnect).
            _ = session.PauseAsync(CancellationToken.None).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        }
    }

    internal void Detach(TransferSession session)
    {
        lock (_lock)
        {
            if (_session == session)
            {
                _session = null;
            }
        }
    }

    private async Task SetPausedAsync(bool paused, CancellationToken cancellationToken)
    {
        TransferSession? session;
        lock (_lock)
        {
            _paused = paused;
            session = _session;
        }

        if (session is not null)
        {
            await (paused ? session.PauseAsync(cancellationToken) : session.ResumeAsync(cancellationToken)).ConfigureAwait(false);
        }
    }

    public void Dispose() => _cancel.Dispose();
}
