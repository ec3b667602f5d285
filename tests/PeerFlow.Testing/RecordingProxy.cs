using System.Net;
using System.Net.Sockets;

namespace PeerFlow.Testing;

/// <summary>
/// A TCP forwarder on 127.0.0.1 that passes every byte on unchanged and keeps a copy of what the connecting side
/// sent: what someone on the network path would see.
/// </summary>
public sealed class RecordingProxy : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly IPEndPoint _target;
    private readonly MemoryStream _upstream = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly List<Socket> _sockets = [];
    private readonly Task _accepting;

    public RecordingProxy(IPEndPoint target)
    {
        _target = target;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        _accepting = AcceptAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Everything the connecting side (the sender) sent so far.</summary>
    public byte[] Upstream
    {
        get
        {
            lock (_upstream)
            {
                return _upstream.ToArray();
            }
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptAsync(_stop.Token);
                var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await server.ConnectAsync(_target, _stop.Token);
                lock (_pumps)
                {
                    _sockets.Add(client);
                    _sockets.Add(server);
                    _pumps.Add(PumpAsync(client, server, record: true));
                    _pumps.Add(PumpAsync(server, client, record: false));
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool record)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                if (record)
                {
                    lock (_upstream)
                    {
                        _upstream.Write(buffer, 0, read);
                    }
                }

                await to.SendAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Torn down with the other direction's sockets in DisposeAsync.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        Task[] pumps;
        lock (_pumps)
        {
            pumps = [.. _pumps];
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }

        await Task.WhenAll(pumps);
        _stop.Dispose();
    }
}
