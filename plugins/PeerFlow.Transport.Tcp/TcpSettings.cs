namespace PeerFlow.Transports.Tcp;

internal sealed record TcpSettings(TimeSpan ConnectTimeout, int SocketBufferSize, int InputBufferSize)
{
    public const int DefaultInputBufferSize = 8 * 1024 * 1024;

    public static TcpSettings From(TransportOptions? options)
    {
        options ??= new TransportOptions();
        return new TcpSettings(
            options.ConnectTimeout,
            options.GetInt32("socketBufferSize", 0, 0, 64 * 1024 * 1024),
            options.GetInt32("inputBufferSize", DefaultInputBufferSize, 64 * 1024, 256 * 1024 * 1024));
    }
}
