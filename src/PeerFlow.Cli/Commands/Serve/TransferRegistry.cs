using System.Collections.Concurrent;

using PeerFlow.Transfers;

namespace PeerFlow.Cli.Commands.Serve;

/// <summary>The transfers running in the daemon, with what the control interface shows and the handle it acts on.</summary>
internal sealed class TransferRegistry
{
    private readonly ConcurrentDictionary<string, Entry> _running = new(StringComparer.Ordinal);

    /// <summary>One running transfer.</summary>
    public sealed class Entry(TransferStarted started, TransferControl control)
    {
        public TransferStarted Started { get; } = started;

        public TransferControl Control { get; } = control;

        public TransferProgress? Progress { get; set; }

        public TransferState State { get; set; } = TransferState.Receiving;
    }

    public IReadOnlyList<Entry> Running => [.. _running.Values.OrderBy(e => e.Started.TransferId, StringComparer.Ordinal)];

    /// <summary>The observer of one connection's transfer: it registers once the transfer starts, and leaves when it ends.</summary>
    public ITransferObserver Observe(TransferControl control, ITransferObserver inner) => new Observer(this, control, inner);

    /// <summary>The transfer whose id starts with <paramref name="prefix"/>; an error message when none or several do.</summary>
    public (Entry? Entry, string? Error) Find(string prefix)
    {
        var matches = _running.Values.Where(e => e.Started.TransferId.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            1 => (matches[0], null),
            0 => (null, $"no running transfer with an id starting with '{prefix}' ('peerflow transfers list' shows them)"),
            _ => (null, $"'{prefix}' starts the ids of {matches.Count} transfers; give more of it"),
        };
    }

    private sealed class Observer(TransferRegistry registry, TransferControl control, ITransferObserver inner) : ITransferObserver
    {
        private Entry? _entry;

        public void OnStarted(TransferStarted started)
        {
            _entry = new Entry(started, control);
            registry._running[started.TransferId] = _entry;
            inner.OnStarted(started);
        }

        public void OnProgress(TransferProgress progress)
        {
            _entry?.Progress = progress;
            inner.OnProgress(progress);
        }

        public void OnStateChanged(TransferStateChanged change)
        {
            _entry?.State = change.To;
            inner.OnStateChanged(change);
        }

        public void OnConnectionLost(Exception error) => inner.OnConnectionLost(error);

        public void OnEnded(TransferResult? result, Exception? error)
        {
            if (_entry is not null)
            {
                registry._running.TryRemove(_entry.Started.TransferId, out _);
            }

            inner.OnEnded(result, error);
        }
    }
}
