using System.Net;
using System.Net.Sockets;

using PeerFlow.Testing;
using PeerFlow.Transports;

namespace PeerFlow.Transports.Tests;

[TestFixture]
public sealed class TcpConformance : TransportConformanceTests
{
    protected override ITransportFactory CreateFactory() => TestPlugins.Get("tcp");

    [Test]
    public void Connect_NothingListening_IsRefusedQuickly()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var unused = (IPEndPoint)probe.LocalEndPoint!;
        probe.Dispose();
        var error = Assert.ThrowsAsync<TransportException>(async () => await Factory.ConnectAsync(unused).AsTask().WaitAsync(Timeout));
        Assert.That(error!.Error, Is.EqualTo(TransportError.ConnectionRefused));
        Assert.That(error.Message, Does.Contain("refused"));
    }

    [Test]
    public async Task Bind_IPv6Loopback_Works()
    {
        if (!Socket.OSSupportsIPv6)
        {
            Assert.Ignore("IPv6 is not available on this machine");
        }

        await using var listener = await Factory.BindAsync(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        await using var client = await Factory.ConnectAsync(listener.LocalEndPoint);
        await using var server = await listener.AcceptAsync();
        Assert.That(server, Is.Not.Null);
    }

    [Test]
    public async Task Bind_PortInUse_ReportsAddressInUse()
    {
        await using var first = await Factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var error = Assert.ThrowsAsync<TransportException>(async () => await Factory.BindAsync(first.LocalEndPoint));
        Assert.That(error!.Error, Is.EqualTo(TransportError.AddressInUse));
    }
}

[TestFixture]
public sealed class LoopbackConformance : TransportConformanceTests
{
    protected override ITransportFactory CreateFactory() => TestPlugins.Get("loopback");
}

[TestFixture]
public sealed class PluginLoading
{
    [Test]
    public void BothBuiltInTransports_LoadThroughThePluginLoader_SharingOnlyTheContract()
    {
        var catalog = TestPlugins.Load();
        Assert.That(catalog.Errors, Is.Empty);
        Assert.That(catalog.Transports.Select(t => t.Name), Is.SupersetOf(new[] { "tcp", "loopback" }));
        foreach (var transport in catalog.Transports)
        {
            var pluginAssembly = transport.Factory.GetType().Assembly;
            Assert.That(System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(pluginAssembly), Is.Not.SameAs(System.Runtime.Loader.AssemblyLoadContext.Default), $"{transport.Name} must live in its own load context");
            Assert.That(transport.Factory, Is.InstanceOf<ITransportFactory>(), "the contract type must be shared with the host");
        }
    }

    [Test]
    public void UnknownTransport_ErrorListsWhatIsAvailable()
    {
        var error = Assert.Throws<KeyNotFoundException>(() => TestPlugins.Get("carrier-pigeon"));
        Assert.That(error!.Message, Does.Contain("tcp").And.Contain("loopback"));
    }

    [Test]
    public void BrokenPlugin_IsReported_AndTheOthersStillLoad()
    {
        using var dir = new TempDirectory();
        var source = Path.Combine(AppContext.BaseDirectory, "plugins");
        foreach (var plugin in Directory.GetDirectories(source))
        {
            var target = Path.Combine(dir.Path, Path.GetFileName(plugin));
            Directory.CreateDirectory(target);
            foreach (var file in Directory.GetFiles(plugin))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }

        Directory.CreateDirectory(Path.Combine(dir.Path, "Broken.Transport"));
        File.WriteAllText(Path.Combine(dir.Path, "Broken.Transport", "Broken.Transport.dll"), "this is not an assembly");
        var catalog = PeerFlow.Plugins.TransportCatalog.Load(dir.Path);
        Assert.That(catalog.Errors.Select(e => e.Plugin), Is.EqualTo(new[] { "Broken.Transport" }));
        Assert.That(catalog.Transports.Select(t => t.Name), Is.SupersetOf(new[] { "tcp", "loopback" }));
    }

    [Test]
    public void MisbehavingPlugins_AreEachReportedWithTheirReason_AndEveryOtherPluginStillWorks()
    {
        using var dir = new TempDirectory();
        foreach (var source in new[] { Path.Combine(AppContext.BaseDirectory, "plugins"), Path.Combine(AppContext.BaseDirectory, "misbehaving-plugins") })
        {
            foreach (var plugin in Directory.GetDirectories(source))
            {
                var target = Path.Combine(dir.Path, Path.GetFileName(plugin));
                Directory.CreateDirectory(target);
                foreach (var file in Directory.GetFiles(plugin))
                {
                    File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
                }
            }
        }

        var catalog = PeerFlow.Plugins.TransportCatalog.Load(dir.Path);
        var errors = catalog.Errors.ToDictionary(e => e.Plugin, e => e.Message);
        Assert.That(errors.Keys, Is.EquivalentTo(new[] { "PeerFlow.Transport.WrongContract", "PeerFlow.Transport.ThrowsOnLoad", "PeerFlow.Transport.NameClash", "PeerFlow.Transport.MissingDependency" }));
        Assert.That(errors["PeerFlow.Transport.WrongContract"], Does.Contain($"contract version {TransportContract.Version + 41}").And.Contain($"this PeerFlow has version {TransportContract.Version}"));
        Assert.That(errors["PeerFlow.Transport.ThrowsOnLoad"], Does.Contain("its configuration is missing"));
        Assert.That(errors["PeerFlow.Transport.NameClash"], Does.Contain("transport name 'tcp' is already taken"));
        Assert.That(errors["PeerFlow.Transport.MissingDependency"], Does.StartWith("it needs PeerFlow.Tests.Misbehaving.Dependency").And.Contain("not in its folder"));
        Assert.That(catalog.Transports.Select(t => t.Name), Is.EquivalentTo(new[] { "tcp", "loopback", "quic" }));
        Assert.That(catalog.Get("tcp").Name, Is.EqualTo("tcp"));
        Assert.That(catalog.Transports.Single(t => t.Name == "tcp").AssemblyPath, Does.EndWith("PeerFlow.Transport.Tcp.dll"), "the real tcp keeps its name");
    }
}

/// <summary>
/// The out-of-tree sample plugin passes the same conformance suite as the bundled transports: built on its own into a
/// temporary plugins directory and loaded through the real plugin loader.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class UnixSocketSampleConformance : TransportConformanceTests
{
    private TempDirectory? _directory;
    private int _sockets;

    [OneTimeSetUp]
    public async Task BuildTheSample()
    {
        _directory = new TempDirectory();
        await SamplePlugins.BuildUnixSocketAsync(Path.Combine(_directory.Path, "plugins"), AppContext.BaseDirectory);
    }

    [OneTimeTearDown]
    public void RemoveTheSample() => _directory?.Dispose();

    protected override ITransportFactory CreateFactory() => PeerFlow.Plugins.TransportCatalog.Load(Path.Combine(_directory!.Path, "plugins")).Get("unix");

    protected override EndPoint ListenEndPoint => new UnixDomainSocketEndPoint(Path.Combine(_directory!.Path, $"s{Interlocked.Increment(ref _sockets)}.sock"));
}

/// <summary>The whole conformance suite over QUIC, where this machine has libmsquic.</summary>
[TestFixture]
public sealed class QuicConformance : TransportConformanceTests
{
    [SetUp]
    public void RequireQuic()
    {
        if (!System.Net.Quic.QuicListener.IsSupported || !System.Net.Quic.QuicConnection.IsSupported)
        {
            Assert.Ignore("QUIC is not supported here (QuicListener.IsSupported is false: libmsquic 2.x is not installed)");
        }
    }

    protected override ITransportFactory CreateFactory() => TestPlugins.Get("quic");
}
