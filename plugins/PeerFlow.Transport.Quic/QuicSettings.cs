using System.Net.Quic;

namespace PeerFlow.Transports.Quic;

/// <summary>The QUIC plugin's own options (pass-through keys): <c>maxStreams</c>, <c>streamWindow</c>, <c>connectionWindow</c>, <c>idleTimeoutSeconds</c>.</summary>
internal sealed record QuicSettings(int MaxStreams, QuicReceiveWindowSizes Windows, TimeSpan IdleTimeout)
{
    /// <summary>Sets what both sides of a connection share: streams the peer may open, windows, idle timeout.</summary>
    public T Apply<T>(T options)
        where T : QuicConnectionOptions
    {
        options.MaxInboundBidirectionalStreams = MaxStreams;
        options.MaxInboundUnidirectionalStreams = 0;
        options.IdleTimeout = IdleTimeout;
        options.InitialReceiveWindowSizes = Windows;
        return options;
    }

    public static QuicSettings From(TransportOptions? options)
    {
        options ??= new TransportOptions();
        var stream = options.GetInt32("streamWindow", 16 * 1024 * 1024, 64 * 1024, 256 * 1024 * 1024);
        var connection = options.GetInt32("connectionWindow", 64 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024);
        return new QuicSettings(
            options.GetInt32("maxStreams", 32, 1, 1000),
            new QuicReceiveWindowSizes
            {
                Connection = connection,
                LocallyInitiatedBidirectionalStream = stream,
                RemotelyInitiatedBidirectionalStream = stream,
            },
            TimeSpan.FromSeconds(options.GetInt32("idleTimeoutSeconds", 60, 1, 86_400)));
    }
}
