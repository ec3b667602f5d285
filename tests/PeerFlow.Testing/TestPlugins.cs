using PeerFlow.Plugins;
using PeerFlow.Transports;

namespace PeerFlow.Testing;

/// <summary>The real transport plugins, loaded through the real plugin loader from the test's output directory.</summary>
public static class TestPlugins
{
    private static readonly Lazy<TransportCatalog> Catalog = new(() => TransportCatalog.Load(Path.Combine(AppContext.BaseDirectory, "plugins")));

    public static TransportCatalog Load() => Catalog.Value;

    public static ITransportFactory Get(string name) => Catalog.Value.Get(name);
}
