namespace PeerFlow.Transfers;

/// <summary>Where a transfer is in its life. Sender and receiver share one machine (<see cref="TransferStateMachine"/>).</summary>
public enum TransferState
{
    /// <summary>Working out what to send, or where to store it.</summary>
    Preparing,

    /// <summary>Opening the connection and agreeing on protocol and transfer (again, after a dropped connection).</summary>
    Connecting,

    /// <summary>Data flows out (sender).</summary>
    Sending,

    /// <summary>Data flows in (receiver).</summary>
    Receiving,

    /// <summary>No data flows until the transfer is resumed.</summary>
    Paused,

    /// <summary>Everything was transferred and verified. Final.</summary>
    Completed,

    /// <summary>Stopped on request, not because of an error. Final.</summary>
    Cancelled,

    /// <summary>Stopped by an error, which <see cref="TransferStateChanged.Reason"/> names. Final.</summary>
    Failed,
}

/// <summary>One transition, as observers see it.</summary>
public sealed record TransferStateChanged(TransferDirection Direction, TransferState From, TransferState To, string? Reason, DateTimeOffset At);
