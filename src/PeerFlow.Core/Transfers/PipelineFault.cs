namespace PeerFlow.Transfers;

/// <summary>
/// The first real error of a pipeline. Any stage that fails reports here; the first report wins and cancels every
/// other stage, whose cancellation exceptions are then noise, never the error shown to the user.
/// </summary>
internal sealed class PipelineFault : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private Exception? _first;

    public PipelineFault(CancellationToken outer) => _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);

    public CancellationToken Token => _cts.Token;

    public Exception? Error => Volatile.Read(ref _first);

    /// <summary>
    /// Records <paramref name="error"/> and cancels the pipeline, unless it is already cancelled: then the error is a
    /// consequence (of an earlier error or of the caller's cancellation), not the cause.
    /// </summary>
    public void Report(Exception error)
    {
        if (_cts.IsCancellationRequested)
        {
            return;
        }

        Interlocked.CompareExchange(ref _first, error, null);
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Throws the first error, or a cancellation if the pipeline was only cancelled.</summary>
    public void ThrowIfFaulted(CancellationToken outer)
    {
        if (Error is { } error)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }

        outer.ThrowIfCancellationRequested();
        if (_cts.IsCancellationRequested)
        {
            throw new OperationCanceledException(_cts.Token);
        }
    }

    public void Dispose() => _cts.Dispose();
}
