using System.Threading.Channels;

using PeerFlow.Protocol.Messages;
using PeerFlow.Transfers;
using PeerFlow.Transports;

namespace PeerFlow.Session;

/// <summary>
/// What runs beside a transfer's pipeline on one connection, on both sides: the pause state (ours and the peer's,
/// data flows only when neither holds it), heartbeats when we have been quiet, and a watchdog that drops a peer that
/// has been silent for <see cref="SessionTiming.PeerTimeout"/>. Safe to use from any thread.
/// </summary>
internal sealed class TransferSession : IAsyncDisposable
{
    private readonly FrameConnection _frames;
    private readonly TransferStateMachine _state;
    private readonly SessionTiming _timing;
    private readonly string _side;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<ControlMessage> _outbox = Channel.CreateUnbounded<ControlMessage>(new UnboundedChannelOptions { SingleReader = true });
    private TaskCompletionSource _gate = Open();
    private (FrameConnection Stream, bool Heartbeats, bool Watch)[] _extraStreams = [];
    private Task? _loop;
    private Task? _pump;
    private bool _pausedHere;
    private bool _pausedByPeer;
    private int _disposed;

    /// <param name="frames">The connection.</param>
    /// <param name="state">The transfer's state machine; pausing moves it to Paused and back to running.</param>
    /// <param name="timing">Heartbeat interval and peer timeout.</param>
    /// <param name="peerSupportsSession">The peer announced the resume capability: it understands pause, resume, heartbeat and cancel messages.</param>
    /// <param name="side">"sender" or "receiver", for messages.</param>
    public TransferSession(FrameConnection frames, TransferStateMachine state, SessionTiming timing, bool peerSupportsSession, string side)
    {
        _frames = frames;
        _state = state;
        _timing = timing;
        PeerSupportsSession = peerSupportsSession;
        _side = side;
    }

    public bool PeerSupportsSession { get; }

    /// <summary>Set when the watchdog dropped the connection because the peer went silent.</summary>
    public TransportException? Silence { get; private set; }

    public bool IsPaused
    {
        get
        {
            lock (_lock)
            {
                return _pausedHere || _pausedByPeer;
            }
        }
    }

    /// <summary>
    /// Covers an extra data stream too: <paramref name="heartbeats"/> on the side that writes it (so the peer can
    /// tell a quiet stream from a dead one), <paramref name="watch"/> on the side that reads it.
    /// </summary>
    public void AddStream(FrameConnection stream, bool heartbeats, bool watch)
    {
        lock (_lock)
        {
            _extraStreams = [.. _extraStreams, (stream, heartbeats, watch)];
        }
    }

    /// <summary>Starts heartbeats and the watchdog (only with a peer that sends heartbeats too).</summary>
    public void Start()
    {
        if (PeerSupportsSession)
        {
            _loop = Task.Run(() => RunAsync(_stop.Token));
        }
    }

    /// <summary>
    /// Queues a control message to be sent in order, from code that cannot wait (the receiver's writer answering an
    /// entry batch). A failure to send shows up as the connection's failure.
    /// </summary>
    public void Post(ControlMessage message)
    {
        // Posted from the writer and from background work (a sync's block signatures): one pump, whoever comes first.
        if (Volatile.Read(ref _pump) is null)
        {
            lock (_outbox)
            {
                _pump ??= Task.Run(PumpAsync);
            }
        }

        _outbox.Writer.TryWrite(message);
    }

    private async Task PumpAsync()
    {
        try
        {
            while (await _outbox.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                await _frames.EnterOutputAsync(_stop.Token).ConfigureAwait(false);
                try
                {
                    while (_outbox.Reader.TryRead(out var message))
                    {
                        Protocol.Framing.FrameWriter.WriteControl(_frames.Output, message);
                    }

                    await _frames.FlushAsync(_stop.Token).ConfigureAwait(false);
                }
                finally
                {
                    _frames.ExitOutput();
                }
            }
        }
        catch (Exception)
        {
            // The connection failed or the session ended; the pipeline sees the same failure.
        }
    }

    /// <summary>Completes at once while data may flow; otherwise when neither side holds a pause any more.</summary>
    public ValueTask WaitWhilePausedAsync(CancellationToken cancellationToken)
    {
        var gate = Volatile.Read(ref _gate).Task;
        return gate.IsCompleted ? default : new ValueTask(gate.WaitAsync(cancellationToken));
    }

    /// <summary>Pauses from this side and tells the peer. Idempotent.</summary>
    public async Task PauseAsync(CancellationToken cancellationToken)
    {
        if (Update(here: true, peer: null, $"paused by the {_side}") && PeerSupportsSession)
        {
            await _frames.SendControlAsync(new PauseTransfer { Reason = $"paused by the {_side}" }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Lifts this side's pause and tells the peer. Idempotent; a pause the peer holds stays.</summary>
    public async Task ResumeAsync(CancellationToken cancellationToken)
    {
        if (Update(here: false, peer: null, null) && PeerSupportsSession)
        {
            await _frames.SendControlAsync(new ResumeTransfer(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The peer paused (<see cref="PauseTransfer"/>).</summary>
    public void OnPeerPaused(string? reason) => Update(here: null, peer: true, reason ?? "paused by the peer");

    /// <summary>The peer lifted its pause (<see cref="ResumeTransfer"/>).</summary>
    public void OnPeerResumed() => Update(here: null, peer: false, null);

    /// <summary>Tells the peer this side cancels (best effort, bounded): it ends Cancelled rather than Failed.</summary>
    public async Task TrySendCancelAsync(string reason, bool discardPartial)
    {
        if (!_frames.PrefaceWritten)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            ControlMessage message = PeerSupportsSession
                ? new CancelTransfer { Reason = reason, DiscardPartial = discardPartial }
                : new ErrorMessage { Code = ErrorCode.Cancelled, Message = reason };
            await _frames.SendControlAsync(message, timeout.Token).ConfigureAwait(false);
            await _frames.Output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The peer is gone or stuck: it will see the connection close instead.
        }
    }

    /// <summary>Sets one or both pause flags; moves the state machine and the gate when the overall state changes. True if this side's own flag changed.</summary>
    private bool Update(bool? here, bool? peer, string? reason)
    {
        lock (_lock)
        {
            var wasPaused = _pausedHere || _pausedByPeer;
            var changed = (here is { } h && h != _pausedHere) || (peer is { } p && p != _pausedByPeer);
            var ownChanged = here is { } own && own != _pausedHere;
            _pausedHere = here ?? _pausedHere;
            _pausedByPeer = peer ?? _pausedByPeer;
            var paused = _pausedHere || _pausedByPeer;
            if (changed && paused != wasPaused)
            {
                if (paused)
                {
                    _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _state.TryMoveTo(TransferState.Paused, reason);
                }
                else
                {
                    _state.TryMoveTo(_state.Running);
                    _gate.TrySetResult();
                }
            }

            return ownChanged;
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var tick = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond * 10, Math.Min(_timing.HeartbeatInterval.Ticks, _timing.PeerTimeout.Ticks / 4)));
        using var timer = new PeriodicTimer(tick);
        using var stop = cancellationToken.UnsafeRegister(static t => ((PeriodicTimer)t!).Dispose(), timer);
        while (await timer.WaitForNextTickAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (!await CheckAsync(_frames, heartbeats: true, watch: true, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            foreach (var (stream, heartbeats, watch) in Volatile.Read(ref _extraStreams))
            {
                if (!await CheckAsync(stream, heartbeats, watch, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
    }

    /// <summary>One connection's watchdog and heartbeat; false once the session is over for it.</summary>
    private async ValueTask<bool> CheckAsync(FrameConnection frames, bool heartbeats, bool watch, CancellationToken cancellationToken)
    {
        if (watch && frames.InputIdle > _timing.PeerTimeout)
        {
            Silence = new TransportException(TransportError.TimedOut, $"no sign of the peer for {_timing.PeerTimeout.TotalSeconds:0.#} s (connection stalled or peer gone)");
            _frames.Connection.Abort(Silence);
            frames.Connection.Abort(Silence);
            return false;
        }

        // Only when the output is free: a writer blocked on a full connection is not quiet, just slowed down.
        if (heartbeats && frames.OutputIdle >= _timing.HeartbeatInterval && frames.TryEnterOutput())
        {
            try
            {
                Protocol.Framing.FrameWriter.WriteControl(frames.Output, new Heartbeat());
                await frames.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The main connection failing ends the session; an extra stream's failure shows up in the pipeline.
                return frames != _frames;
            }
            finally
            {
                frames.ExitOutput();
            }
        }

        return true;
    }

    private static TaskCompletionSource Open()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _outbox.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        if (_pump is not null)
        {
            await _pump.ConfigureAwait(false);
        }

        _stop.Dispose();
        lock (_lock)
        {
            _gate.TrySetResult();
        }
    }
}

/// <summary>How often a quiet side sends a heartbeat, and how long a silent peer is given before it is dropped.</summary>
public sealed record SessionTiming(TimeSpan HeartbeatInterval, TimeSpan PeerTimeout)
{
    public static SessionTiming Default { get; } = new(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15));
}
