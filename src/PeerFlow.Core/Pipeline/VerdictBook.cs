using PeerFlow.Protocol;
using PeerFlow.Protocol.Messages;

namespace PeerFlow.Pipeline;

/// <summary>
/// The sender's record of the receiver's <see cref="EntryVerdicts"/>: a reader asks for its file's verdict and waits
/// until the batch holding it has been answered. Thread-safe.
/// </summary>
internal sealed class VerdictBook
{
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, EntryVerdict> _verdicts = [];
    private readonly List<(uint Id, TaskCompletionSource<EntryVerdict?> Waiter)> _waiting = [];
    private long _upTo = -1;

    // Batches whose unlisted files are not simply "send": (first id, last id, verdict), oldest first.
    private readonly List<(long From, uint UpTo, VerdictKind Others)> _others = [];
    private Exception? _failed;

    /// <summary>Records one answer; verdicts must be for ids after the previous answer and up to its <see cref="EntryVerdicts.UpTo"/>.</summary>
    public void Record(EntryVerdicts message)
    {
        List<(TaskCompletionSource<EntryVerdict?> Waiter, EntryVerdict? Verdict)> ready = [];
        lock (_lock)
        {
            if (message.UpTo <= _upTo)
            {
                throw new ProtocolException($"verdicts up to entry {message.UpTo} arrived after verdicts up to {_upTo}");
            }

            if (message.Others is not (VerdictKind.Send or VerdictKind.Have))
            {
                throw new ProtocolException($"unlisted files of a batch may only be sent or already there, not {message.Others}");
            }

            if (message.Others != VerdictKind.Send)
            {
                _others.Add((_upTo + 1, message.UpTo, message.Others));
            }

            foreach (var verdict in message.Verdicts ?? [])
            {
                if (verdict is null || verdict.Id <= _upTo || verdict.Id > message.UpTo || !Enum.IsDefined(verdict.Kind))
                {
                    throw new ProtocolException($"a verdict for entry {verdict?.Id} is outside its batch or of an unknown kind");
                }

                _verdicts[verdict.Id] = verdict;
            }

            _upTo = message.UpTo;
            _waiting.RemoveAll(w =>
            {
                if (w.Id > _upTo)
                {
                    return false;
                }

                ready.Add((w.Waiter, TakeLocked(w.Id)));
                return true;
            });
        }

        foreach (var (waiter, verdict) in ready)
        {
            waiter.TrySetResult(verdict);
        }
    }

    /// <summary>The verdict on file <paramref name="id"/> once its batch is answered; null means "send it all".</summary>
    public ValueTask<EntryVerdict?> TakeAsync(uint id, CancellationToken cancellationToken)
    {
        TaskCompletionSource<EntryVerdict?> waiter;
        lock (_lock)
        {
            if (_failed is not null)
            {
                return ValueTask.FromException<EntryVerdict?>(_failed);
            }

            if (id <= _upTo)
            {
                return new ValueTask<EntryVerdict?>(TakeLocked(id));
            }

            waiter = new TaskCompletionSource<EntryVerdict?>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Add((id, waiter));
        }

        return new ValueTask<EntryVerdict?>(waiter.Task.WaitAsync(cancellationToken));
    }

    /// <summary>The verdict on file <paramref name="id"/>, whose batch has been answered (a later file's verdict was taken).</summary>
    public EntryVerdict? Take(uint id)
    {
        lock (_lock)
        {
            return id <= _upTo ? TakeLocked(id) : throw new InvalidOperationException($"the verdict on entry {id} has not arrived");
        }
    }

    /// <summary>No more answers will come: every waiter fails with <paramref name="error"/>.</summary>
    public void Fail(Exception error)
    {
        List<TaskCompletionSource<EntryVerdict?>> waiting;
        lock (_lock)
        {
            _failed ??= error;
            waiting = [.. _waiting.Select(w => w.Waiter)];
            _waiting.Clear();
        }

        foreach (var waiter in waiting)
        {
            waiter.TrySetException(error);
        }
    }

    private EntryVerdict? TakeLocked(uint id)
    {
        if (_verdicts.Remove(id, out var verdict))
        {
            return verdict;
        }

        // Files are taken in id order: batches before this id are done with.
        while (_others.Count > 0 && _others[0].UpTo < id)
        {
            _others.RemoveAt(0);
        }

        return _others.Count > 0 && _others[0].From <= id ? new EntryVerdict { Id = id, Kind = _others[0].Others } : null;
    }
}
