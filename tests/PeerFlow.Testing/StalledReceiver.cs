using System.Net;

using PeerFlow.Protocol.Framing;
using PeerFlow.Protocol.Messages;
using PeerFlow.Session;
using PeerFlow.Transports;

namespace PeerFlow.Testing;

/// <summary>
/// A receiver that accepts one transfer and then never reads another byte: the sender fills every buffer and
/// stalls mid-transfer, which lets tests act on a transfer that is reliably in flight.
/// </summary>
public sealed class StalledReceiver : IAsyncDisposable
{
    private readonly ITransportListener _listener;
    private ITransportConnection? _connection;

    private StalledReceiver(ITransportListener listener, Task accepted)
    {
        _listener = listener;
        Accepted = accepted;
    }

    public EndPoint EndPoint => _listener.LocalEndPoint;

    /// <summary>Completes once the offer has been accepted (data may flow from then on).</summary>
    public Task Accepted { get; }

    /// <summary>Listens in plaintext, or with <paramref name="identity"/> over TLS (accepting any peer).</summary>
    public static async Task<StalledReceiver> StartAsync(ITransportFactory factory, Security.PeerIdentity? identity = null)
    {
        var listener = await factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        StalledReceiver? self = null;
        var accepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        self = new StalledReceiver(listener, accepted.Task);
        _ = Task.Run(async () =>
        {
            try
            {
                var connection = (await listener.AcceptAsync())!;
                if (identity is not null)
                {
                    connection = await Security.TlsLayer.AcceptAsync(connection, identity, CancellationToken.None);
                }

                self._connection = connection;
                var frames = new FrameConnection(connection);
                await frames.ReadPrefaceAsync(CancellationToken.None);
                await frames.ReadControlAsync<Hello>(CancellationToken.None);
                FrameWriter.WritePreface(frames.Output);
                await frames.SendControlAsync(new HelloReply { ProtocolVersion = 1, Capabilities = ["lz4"] }, CancellationToken.None);
                var offer = await frames.ReadControlAsync<TransferOffer>(CancellationToken.None);
                await frames.SendControlAsync(new TransferReply { Accepted = true, RootNames = offer.Roots }, CancellationToken.None);
                accepted.SetResult();
            }
            catch (Exception ex)
            {
                accepted.TrySetException(ex);
            }
        });
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        await _listener.DisposeAsync();
    }
}
