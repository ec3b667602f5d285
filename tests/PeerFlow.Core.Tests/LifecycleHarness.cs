using System.Collections.Concurrent;
using System.Net;

using PeerFlow.Files;
using PeerFlow.Transfers;
using PeerFlow.Transports;

namespace PeerFlow.Core.Tests;

/// <summary>Records what a transfer reports: every state change and the latest progress.</summary>
internal sealed class Recorder : ITransferObserver
{
    private readonly ConcurrentQueue<TransferStateChanged> _changes = new();

    public Action<TransferProgress>? OnEachProgress { get; set; }

    /// <summary>Runs <paramref name="action"/> once, from the progress callback, when this side has done <paramref name="bytes"/>.</summary>
    public void At(long bytes, Func<Task> action)
    {
        var done = 0;
        OnEachProgress = p =>
        {
            if (p.BytesDone >= bytes && Interlocked.Exchange(ref done, 1) == 0)
            {
                _ = Task.Run(action);
            }
        };
    }

    public TransferProgress? Last { get; private set; }

    public TransferStarted? Started { get; private set; }

    public void OnStarted(TransferStarted started) => Started = started;

    public IReadOnlyList<TransferStateChanged> Changes => [.. _changes];

    public IReadOnlyList<TransferState> States => [.. _changes.Select(c => c.To)];

    public TransferState Current => _changes.LastOrDefault()?.To ?? TransferState.Preparing;

    public void OnStateChanged(TransferStateChanged change) => _changes.Enqueue(change);

    public void OnProgress(TransferProgress progress)
    {
        Last = progress;
        OnEachProgress?.Invoke(progress);
    }
}

/// <summary>A sender and a receiver in this process over the loopback plugin, each with its own control.</summary>
internal sealed class LifecyclePair : IAsyncDisposable
{
    private ITransportListener? _listener;

    public Recorder Sender { get; } = new();

    public Recorder Receiver { get; } = new();

    public TransferControl SendControl { get; } = new();

    public TransferControl ReceiveControl { get; } = new();

    public Task<TransferResult> Sending { get; private set; } = null!;

    public Task<TransferResult> Receiving { get; private set; } = null!;

    public async Task StartAsync(string source, ReceiveOptions receive, SendOptions send)
    {
        _listener = await InProcess.Loopback.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var listener = _listener;
        Receiving = Task.Run(async () =>
        {
            await using var inbound = (await listener.AcceptAsync())!;
            return await TransferReceiver.ReceiveAsync(inbound, receive, Receiver, CancellationToken.None, ReceiveControl);
        });
        var connection = await InProcess.Loopback.ConnectAsync(_listener.LocalEndPoint);
        Sending = Task.Run(async () =>
        {
            await using (connection)
            {
                return await TransferSender.SendAsync(connection, new SourceSet([source]), send, Sender, CancellationToken.None, SendControl);
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAny(Task.WhenAll(Sending, Receiving), Task.Delay(InProcess.Timeout));
        if (_listener is not null)
        {
            await _listener.DisposeAsync();
        }

        SendControl.Dispose();
        ReceiveControl.Dispose();
    }
}
