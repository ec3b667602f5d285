namespace PeerFlow.Transfers;

/// <summary>
/// The one state machine of a transfer, the same for both sides; only the running state differs (the sender runs
/// in <see cref="TransferState.Sending"/>, the receiver in <see cref="TransferState.Receiving"/>).
/// </summary>
/// <remarks>
/// <code>
/// Preparing ──► Connecting ──► Sending/Receiving ──► Completed
///     │             ▲  │            │   ▲    │          ▲
///     │             │  │            ▼   │    └──► Connecting (connection lost: reconnect)
///     │             │  │          Paused ─┘─────────────┘ (paused after the last data frame)
///     └─────────────┴──┴──── any non-final state ──► Cancelled | Failed (with the reason)
/// </code>
/// Completed, Cancelled and Failed are final. Every transition raises <see cref="Changed"/>; an illegal one throws
/// (<see cref="MoveTo"/>) or is refused (<see cref="TryMoveTo"/>). Safe to use from any thread.
/// </remarks>
public sealed class TransferStateMachine
{
    private readonly Lock _lock = new();
    private TransferState _state = TransferState.Preparing;

    public TransferStateMachine(TransferDirection direction) => Direction = direction;

    /// <summary>Raised for every transition, in order (under the machine's lock: handlers must be quick and must not call back).</summary>
    public event Action<TransferStateChanged>? Changed;

    public TransferDirection Direction { get; }

    /// <summary>The running state of this side.</summary>
    public TransferState Running => Direction == TransferDirection.Send ? TransferState.Sending : TransferState.Receiving;

    public TransferState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>Why the transfer failed or was cancelled, once it has.</summary>
    public string? Reason { get; private set; }

    public bool IsFinal => IsFinalState(State);

    public static bool IsFinalState(TransferState state) => state is TransferState.Completed or TransferState.Cancelled or TransferState.Failed;

    /// <summary>Whether <paramref name="from"/> → <paramref name="to"/> is legal for a side of <paramref name="direction"/>.</summary>
    public static bool IsLegal(TransferDirection direction, TransferState from, TransferState to)
    {
        var running = direction == TransferDirection.Send ? TransferState.Sending : TransferState.Receiving;
        var otherRunning = direction == TransferDirection.Send ? TransferState.Receiving : TransferState.Sending;
        if (IsFinalState(from) || from == to || from == otherRunning || to == otherRunning)
        {
            return false;
        }

        if (to is TransferState.Cancelled or TransferState.Failed)
        {
            return true;
        }

        return from switch
        {
            TransferState.Preparing => to == TransferState.Connecting,
            TransferState.Connecting => to == running,
            // A pause holds data frames only: one that took hold after the last of them holds nothing, and the
            // transfer completes while paused.
            TransferState.Paused => to == running || to == TransferState.Connecting || to == TransferState.Completed,
            _ when from == running => to is TransferState.Paused or TransferState.Completed or TransferState.Connecting,
            _ => false,
        };
    }

    /// <summary>Moves to <paramref name="to"/>.</summary>
    /// <exception cref="InvalidOperationException">The transition is illegal from the current state.</exception>
    public void MoveTo(TransferState to, string? reason = null)
    {
        if (!TryMoveTo(to, reason))
        {
            throw new InvalidOperationException($"a {(Direction == TransferDirection.Send ? "sending" : "receiving")} transfer cannot go from {State} to {to}");
        }
    }

    /// <summary>Moves to <paramref name="to"/> if that is legal now; false (and no event) otherwise.</summary>
    public bool TryMoveTo(TransferState to, string? reason = null)
    {
        TransferStateChanged change;
        lock (_lock)
        {
            if (!IsLegal(Direction, _state, to))
            {
                return false;
            }

            change = new TransferStateChanged(Direction, _state, to, reason, DateTimeOffset.UtcNow);
            _state = to;
            if (to is TransferState.Failed or TransferState.Cancelled)
            {
                Reason = reason;
            }

            Changed?.Invoke(change);
        }

        return true;
    }

    /// <summary>
    /// Runs a whole transfer under this machine and ends it in the right final state: Completed when the result is
    /// a success, Failed (with the reason) on failures or an error, Cancelled when <paramref name="cancellationToken"/>
    /// stopped it or the peer cancelled. Errors are rethrown.
    /// </summary>
    internal async Task<TransferResult?> RunAsync(Func<TransferStateMachine, Task<TransferResult?>> transfer, CancellationToken cancellationToken)
    {
        try
        {
            var result = await transfer(this).ConfigureAwait(false);
            if (result is null)
            {
                // Not a transfer after all (a data stream that joined one): no states to report.
                return null;
            }

            MoveTo(result.Success ? TransferState.Completed : TransferState.Failed, result.Success ? null : $"{result.Failures.Count} file(s) failed");
            return result;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            TryMoveTo(TransferState.Cancelled, "cancelled");
            throw;
        }
        catch (Session.PeerCancelledException ex)
        {
            TryMoveTo(TransferState.Cancelled, ex.Message);
            throw;
        }
        catch (Exception ex)
        {
            TryMoveTo(TransferState.Failed, ex.Message);
            throw;
        }
    }
}
