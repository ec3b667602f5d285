using System.Buffers;
using System.IO.Hashing;
using System.IO.Pipelines;
using System.Net;

using PeerFlow.Transports;

namespace PeerFlow.Testing;

/// <summary>
/// What every transport must do, whoever wrote it. A transport's test fixture derives from this class and says how
/// to create its factory; it inherits every test. Capability flags on the factory decide which tests apply.
/// </summary>
public abstract class TransportConformanceTests
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Creates the transport under test (normally through the real plugin loader).</summary>
    protected abstract ITransportFactory CreateFactory();

    /// <summary>Where listeners bind; port 0 must be resolved by the transport.</summary>
    protected virtual EndPoint ListenEndPoint => new IPEndPoint(IPAddress.Loopback, 0);

    /// <summary>The port of an end point the transport reported, or -1 if it has none.</summary>
    protected virtual int PortOf(EndPoint endPoint) => endPoint switch
    {
        IPEndPoint ip => ip.Port,
        DnsEndPoint dns => dns.Port,
        _ => int.TryParse(endPoint.ToString()?.Split(':')[^1], out var port) ? port : -1,
    };

    protected ITransportFactory Factory { get; private set; } = null!;

    [SetUp]
    public void CreateTransport() => Factory = CreateFactory();

    [Test]
    public async Task Bind_ReportsTheRealEndPoint_ThatPeersCanConnectTo()
    {
        var requested = ListenEndPoint;
        await using var listener = await Factory.BindAsync(requested);
        if (PortOf(requested) == 0)
        {
            Assert.That(PortOf(listener.LocalEndPoint), Is.GreaterThan(0), $"port 0 must be resolved; reported {listener.LocalEndPoint}");
        }

        var accepting = listener.AcceptAsync().AsTask();
        await using var client = await Factory.ConnectAsync(listener.LocalEndPoint);
        await using var server = (await accepting.WaitAsync(Timeout))!;
        Assert.That(server, Is.Not.Null);
    }

    [Test]
    public async Task Bind_TwoListeners_GetDifferentEndPoints()
    {
        await using var first = await Factory.BindAsync(ListenEndPoint);
        await using var second = await Factory.BindAsync(ListenEndPoint);
        Assert.That(second.LocalEndPoint.ToString(), Is.Not.EqualTo(first.LocalEndPoint.ToString()));
    }

    [Test]
    public async Task ConnectAndAccept_BytesFlowBothWays()
    {
        await using var pair = await ConnectedPair.CreateAsync(Factory, ListenEndPoint);
        await WriteAsync(pair.Client, "ping"u8.ToArray());
        Assert.That(await ReadExactlyAsync(pair.Server, 4), Is.EqualTo("ping"u8.ToArray()));
        await WriteAsync(pair.Server, "pong"u8.ToArray());
        Assert.That(await ReadExactlyAsync(pair.Client, 4), Is.EqualTo("pong"u8.ToArray()));
    }

    [Test]
    public async Task FullDuplex_LargeDataBothWaysAtOnce_ArrivesIntact()
    {
        await using var pair = await ConnectedPair.CreateAsync(Factory, ListenEndPoint);
        const int size = 48 * 1024 * 1024;
        var clientSends = SendRandomAsync(pair.Client, size, seed: 1);
        var serverSends = SendRandomAsync(pair.Server, size, seed: 2);
        var serverReceives = ReceiveAllAsync(pair.Server);
        var clientReceives = ReceiveAllAsync(pair.Client);
        var sent = await Task.WhenAll(clientSends, serverSends).WaitAsync(Timeout);
        var received = await Task.WhenAll(serverReceives, clientReceives).WaitAsync(Timeout);
        Assert.That(received[0], Is.EqualTo(sent[0]), "client → server");
        Assert.That(received[1], Is.EqualTo(sent[1]), "server → client");
    }

    [Test]
    public async Task HalfClose_PeerSeesEndOfInput_AndCanStillAnswer()
    {
        await using var pair = await ConnectedPair.CreateAsync(Factory, ListenEndPoint);
        await WriteAsync(pair.Client, new byte[100_000]);
        await pair.Client.Transport.Output.CompleteAsync();
        var (count, _) = await ReceiveAllAsync(pair.Server).WaitAsync(Timeout);
        Assert.That(count, Is.EqualTo(100_000));
        await WriteAsync(pair.Server, "late reply"u8.ToArray());
        await pair.Server.Transport.Output.CompleteAsync();
        var reply = await ReadExactlyAsync(pair.Client, 10);
        Assert.That(reply, Is.EqualTo("late reply"u8.ToArray()));
    }

    [Test]
    public async Task Abort_PeerReadFailsOrEnds_AndClosedTokenFires()
    {
        await using var pair = await ConnectedPair.CreateAsync(Factory, ListenEndPoint);
        var pendingRead = pair.Server.Transport.Input.ReadAsync().AsTask();
        pair.Client.Abort(new TransportException(TransportError.ConnectionAborted, "test abort"));
        try
        {
            var result = await pendingRead.WaitAsync(Timeout);
            Assert.That(result.IsCompleted || result.IsCanceled, Is.True, "a read after the peer aborted must end");
        }
        catch (Exception ex) when (ex is TransportException or IOException or OperationCanceledException)
        {
            // Failing the read is what a reset looks like.
        }

        await Eventually.WaitUntilAsync(() => pair.Client.ConnectionClosed.IsCancellationRequested);
    }

    [Test]
    public async Task Abort_IsIdempotent()
    {
        await using var pair = await ConnectedPair.CreateAsync(Factory, ListenEndPoint);
        pair.Client.Abort();
        Assert.DoesNotThrow(() => pair.Client.Abort());
    }

    [Test]
    public async Task Dispose_PeerInputCompletes()
    {
        var pair = await ConnectedPair.CreateAsync(Factory, ListenEndPoint);
        await using (pair.Server)
        {
            await pair.Client.DisposeAsync();
            var (count, _) = await ReceiveAllAsync(pair.Server, tolerateReset: true).WaitAsync(Timeout);
            Assert.That(count, Is.Zero);
        }

        await pair.Listener.DisposeAsync();
    }

    [Test]
    public async Task Accept_Cancelled_Throws()
    {
        await using var listener = await Factory.BindAsync(ListenEndPoint);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        Assert.That(async () => await listener.AcceptAsync(cts.Token).AsTask().WaitAsync(Timeout), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void Connect_AlreadyCancelled_Throws()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.That(async () => await Factory.ConnectAsync(ListenEndPoint, cancellationToken: cts.Token).AsTask().WaitAsync(Timeout), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task Unbind_PendingAcceptReturnsNull_AndNewConnectionsAreRefused()
    {
        var listener = await Factory.BindAsync(ListenEndPoint);
        var endPoint = listener.LocalEndPoint;
        var pending = listener.AcceptAsync().AsTask();
        await listener.UnbindAsync();
        Assert.That(await pending.WaitAsync(Timeout), Is.Null);
        Assert.That(await listener.AcceptAsync().AsTask().WaitAsync(Timeout), Is.Null);
        var refused = Assert.ThrowsAsync<TransportException>(async () => await Factory.ConnectAsync(endPoint).AsTask().WaitAsync(Timeout));
        Assert.That(refused!.Error, Is.EqualTo(TransportError.ConnectionRefused));
        await listener.DisposeAsync();
    }

    [Test]
    public async Task ManyConcurrentConnections_EachEchoesItsOwnData()
    {
        const int count = 64;
        await using var listener = await Factory.BindAsync(ListenEndPoint);
        var server = Task.Run(async () =>
        {
            var echoes = new List<Task>();
            for (var i = 0; i < count; i++)
            {
                var connection = (await listener.AcceptAsync())!;
                echoes.Add(Task.Run(async () =>
                {
                    await using (connection)
                    {
                        var data = await ReadExactlyAsync(connection, 4096);
                        await WriteAsync(connection, data);
                        await connection.Transport.Output.CompleteAsync();
                    }
                }));
            }

            await Task.WhenAll(echoes);
        });
        var clients = Enumerable.Range(0, count).Select(async i =>
        {
            await using var connection = await Factory.ConnectAsync(listener.LocalEndPoint);
            var data = new byte[4096];
            new Random(i).NextBytes(data);
            await WriteAsync(connection, data);
            Assert.That(await ReadExactlyAsync(connection, data.Length), Is.EqualTo(data));
        });
        await Task.WhenAll(clients).WaitAsync(Timeout);
        await server.WaitAsync(Timeout);
    }

    protected static async Task WriteAsync(ITransportConnection connection, byte[] data)
    {
        var result = await connection.Transport.Output.WriteAsync(data).AsTask().WaitAsync(Timeout);
        Assert.That(result.IsCompleted, Is.False, "the peer stopped reading");
    }

    protected static async Task<byte[]> ReadExactlyAsync(ITransportConnection connection, int count)
    {
        var input = connection.Transport.Input;
        var result = await input.ReadAtLeastAsync(count).AsTask().WaitAsync(Timeout);
        Assert.That(result.Buffer.Length, Is.GreaterThanOrEqualTo(count), "the input ended early");
        var data = result.Buffer.Slice(0, count).ToArray();
        input.AdvanceTo(result.Buffer.GetPosition(count));
        return data;
    }

    private static async Task<(long Count, UInt128 Hash)> SendRandomAsync(ITransportConnection connection, int size, int seed)
    {
        var random = new Random(seed);
        var hash = new XxHash128();
        var output = connection.Transport.Output;
        var sent = 0;
        while (sent < size)
        {
            var length = Math.Min(random.Next(1, 300_000), size - sent);
            var memory = output.GetMemory(length);
            random.NextBytes(memory.Span[..length]);
            hash.Append(memory.Span[..length]);
            output.Advance(length);
            var flush = await output.FlushAsync();
            Assert.That(flush.IsCompleted, Is.False);
            sent += length;
        }

        await output.CompleteAsync();
        return (sent, hash.GetCurrentHashAsUInt128());
    }

    private static async Task<(long Count, UInt128 Hash)> ReceiveAllAsync(ITransportConnection connection, bool tolerateReset = false)
    {
        var input = connection.Transport.Input;
        var hash = new XxHash128();
        long count = 0;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync();
                foreach (var segment in result.Buffer)
                {
                    hash.Append(segment.Span);
                }

                count += result.Buffer.Length;
                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (TransportException) when (tolerateReset)
        {
        }

        return (count, hash.GetCurrentHashAsUInt128());
    }

    /// <summary>A listener with one accepted connection and its client end.</summary>
    protected sealed class ConnectedPair : IAsyncDisposable
    {
        private ConnectedPair(ITransportListener listener, ITransportConnection client, ITransportConnection server)
        {
            Listener = listener;
            Client = client;
            Server = server;
        }

        public ITransportListener Listener { get; }

        public ITransportConnection Client { get; }

        public ITransportConnection Server { get; }

        public static async Task<ConnectedPair> CreateAsync(ITransportFactory factory, EndPoint endPoint)
        {
            var listener = await factory.BindAsync(endPoint);
            var accept = listener.AcceptAsync().AsTask();
            var client = await factory.ConnectAsync(listener.LocalEndPoint).AsTask().WaitAsync(Timeout);
            var server = await accept.WaitAsync(Timeout);
            Assert.That(server, Is.Not.Null);
            return new ConnectedPair(listener, client, server!);
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Server.DisposeAsync();
            await Listener.DisposeAsync();
        }
    }
}
