using System.Net;

using PeerFlow.Files;
using PeerFlow.Testing;
using PeerFlow.Transfers;
using PeerFlow.Transports;

namespace PeerFlow.Core.Tests;

/// <summary>Runs a sender and a receiver in this process over the real loopback plugin.</summary>
internal static class InProcess
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static ITransportFactory Loopback => TestPlugins.Get("loopback");

    public static Task<(TransferResult Sent, TransferResult Received)> TransferAsync(IEnumerable<string> sources, ReceiveOptions receive, SendOptions? send = null, ITransferObserver? observer = null, CancellationToken cancellationToken = default, ITransferObserver? receiverObserver = null)
        => TransferAsync(new SourceSet(sources), receive, send, observer, cancellationToken, receiverObserver);

    public static async Task<(TransferResult Sent, TransferResult Received)> TransferAsync(SourceSet set, ReceiveOptions receive, SendOptions? send = null, ITransferObserver? observer = null, CancellationToken cancellationToken = default, ITransferObserver? receiverObserver = null)
    {
        await using var listener = await Loopback.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var receiving = Task.Run(async () =>
        {
            await using var inbound = (await listener.AcceptAsync())!;
            return await TransferReceiver.ReceiveAsync(inbound, receive, receiverObserver, CancellationToken.None);
        });
        await using var connection = await Loopback.ConnectAsync(listener.LocalEndPoint);
        var sending = TransferSender.SendAsync(connection, set, send, observer, cancellationToken);
        try
        {
            var sent = await sending.WaitAsync(Timeout);
            return (sent, await receiving.WaitAsync(Timeout));
        }
        finally
        {
            // Whatever happened, the receiving side must have ended too (never left hanging).
            await Task.WhenAny(receiving, Task.Delay(Timeout));
            Assert.That(receiving.IsCompleted, Is.True, "the receiver did not end");
        }
    }

    /// <summary>Starts a receiver on a loopback listener and returns its end point and result task.</summary>
    public static async Task<(EndPoint EndPoint, Task<TransferResult> Result, ITransportListener Listener)> StartReceiverAsync(ReceiveOptions options)
    {
        var listener = await Loopback.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var result = Task.Run(async () =>
        {
            await using var inbound = (await listener.AcceptAsync())!;
            return await TransferReceiver.ReceiveAsync(inbound, options);
        });
        return (listener.LocalEndPoint, result, listener);
    }

    public static string[] FilesUnder(string directory) => Directory.GetFileSystemEntries(directory, "*", SearchOption.AllDirectories);
}
