namespace PeerFlow.Pipeline;

/// <summary>
/// The highest file id the main connection has declared, for data streams to wait on: a chunk that overtook its
/// file's declaration waits for it. Closed when the main connection ends, so nothing waits for a declaration that
/// will never come (the writer then reports the undeclared id).
/// </summary>
internal sealed class DeclaredWatermark
{
    private readonly Lock _lock = new();
    private long _value = -1;
    private bool _closed;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether <paramref name="id"/> is declared (or nothing more will be).</summary>
    public bool Covers(uint id) => Volatile.Read(ref _value) >= id || Volatile.Read(ref _closed);

    public void Advance(uint id)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _value = Math.Max(_value, id);
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    public void Close()
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _closed = true;
            changed = _changed;
        }

        changed.TrySetResult();
    }

    public async Task WaitAsync(uint id, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_value >= id || _closed)
                {
                    return;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
