using System.Reflection;
using System.Runtime.Loader;

using McMaster.NETCore.Plugins.Loader;

using PeerFlow.Transports;

namespace PeerFlow.Plugins;

/// <summary>
/// Finds transport plugins at run time: every <c>DIR/&lt;Name&gt;/&lt;Name&gt;.dll</c> is loaded into its own load
/// context that shares only the contract assembly with the host. A plugin that fails to load is reported and
/// skipped; the others still work. Plugins are loaded on demand: asking for transport <c>x</c> first loads only the
/// plugin whose folder is named <c>x</c> or ends in <c>.x</c>, which keeps start-up short.
/// </summary>
public sealed class TransportCatalog
{
    /// <summary>Environment variable that overrides the plugins directory.</summary>
    public const string DirectoryVariable = "PEERFLOW_PLUGINS_DIR";

    private readonly List<LoadedTransport> _transports = [];
    private readonly List<PluginLoadError> _errors = [];
    private readonly List<(string Name, string AssemblyPath)> _unloaded = [];

    private TransportCatalog(string directory) => Directory = directory;

    /// <summary>The directory that was scanned.</summary>
    public string Directory { get; }

    /// <summary>Every transport found (loads all plugins).</summary>
    public IReadOnlyList<LoadedTransport> Transports
    {
        get
        {
            LoadAll();
            return _transports;
        }
    }

    /// <summary>Every plugin that failed to load (loads all plugins).</summary>
    public IReadOnlyList<PluginLoadError> Errors
    {
        get
        {
            LoadAll();
            return _errors;
        }
    }

    /// <summary>The default plugins directory: <c>$PEERFLOW_PLUGINS_DIR</c>, else <c>plugins/</c> next to the executable.</summary>
    public static string DefaultDirectory()
        => Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>Scans <paramref name="directory"/> (or the default) and loads every plugin found there.</summary>
    public static TransportCatalog Load(string? directory = null)
    {
        var catalog = new TransportCatalog(Path.GetFullPath(directory ?? DefaultDirectory()));
        if (!System.IO.Directory.Exists(catalog.Directory))
        {
            return catalog;
        }

        var pluginDirectories = System.IO.Directory.GetDirectories(catalog.Directory);
        Array.Sort(pluginDirectories, StringComparer.Ordinal);
        foreach (var pluginDirectory in pluginDirectories)
        {
            var name = Path.GetFileName(pluginDirectory);
            var assemblyPath = Path.Combine(pluginDirectory, name + ".dll");
            if (File.Exists(assemblyPath))
            {
                catalog._unloaded.Add((name, assemblyPath));
            }
        }

        return catalog;
    }

    /// <summary>The transport called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No loaded plugin has that name; the message lists what there is.</exception>
    public ITransportFactory Get(string name)
    {
        var found = Find(name);
        if (found is null)
        {
            foreach (var candidate in _unloaded.Where(p => NamedFor(p.Name, name)).ToList())
            {
                _unloaded.Remove(candidate);
                LoadOne(candidate.Name, candidate.AssemblyPath);
            }

            found = Find(name);
        }

        if (found is null)
        {
            LoadAll();
            found = Find(name);
        }

        if (found is not null)
        {
            return found.Factory;
        }

        var available = _transports.Count == 0 ? "none" : string.Join(", ", _transports.Select(t => t.Name));
        var broken = _errors.FirstOrDefault(e => e.Plugin.Contains(name, StringComparison.OrdinalIgnoreCase));
        var hint = broken is not null ? $"; plugin {broken.Plugin} failed to load: {broken.Message}" : "";
        throw new KeyNotFoundException($"no transport named '{name}' in {Directory} (available: {available}){hint}");
    }

    private static bool NamedFor(string pluginName, string transportName)
        => pluginName.Equals(transportName, StringComparison.OrdinalIgnoreCase) || pluginName.EndsWith("." + transportName, StringComparison.OrdinalIgnoreCase);

    private LoadedTransport? Find(string name) => _transports.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));

    private void LoadAll()
    {
        foreach (var (name, assemblyPath) in _unloaded)
        {
            LoadOne(name, assemblyPath);
        }

        _unloaded.Clear();
    }

    private void LoadOne(string name, string assemblyPath)
    {
        try
        {
            var assembly = CreateLoadContext(assemblyPath).LoadFromAssemblyPath(assemblyPath);
            var declared = assembly.GetCustomAttribute<TransportContractAttribute>();
            if (declared is null || declared.Version != TransportContract.Version)
            {
                _errors.Add(new PluginLoadError(name, assemblyPath, $"it targets transport contract version {declared?.Version.ToString() ?? "(none declared)"}, this PeerFlow has version {TransportContract.Version}"));
                return;
            }

            var factories = assembly.GetExportedTypes()
                .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ITransportFactory).IsAssignableFrom(t))
                .ToList();
            if (factories.Count == 0)
            {
                _errors.Add(new PluginLoadError(name, assemblyPath, "it has no public ITransportFactory"));
                return;
            }

            foreach (var type in factories)
            {
                var factory = (ITransportFactory)Activator.CreateInstance(type)!;
                var clash = _transports.FirstOrDefault(t => string.Equals(t.Name, factory.Name, StringComparison.OrdinalIgnoreCase));
                if (clash is not null)
                {
                    // Two plugins claim one name. The one whose folder is named for it (x, or ending in .x) keeps it,
                    // whichever loaded first, so the answer does not depend on load order (on-demand loading looks
                    // there first too); the other is reported.
                    if (!NamedFor(name, factory.Name) || NamedFor(Path.GetFileNameWithoutExtension(clash.AssemblyPath), clash.Name))
                    {
                        _errors.Add(new PluginLoadError(name, assemblyPath, $"transport name '{factory.Name}' is already taken by {clash.AssemblyPath}"));
                        continue;
                    }

                    _transports.Remove(clash);
                    _errors.Add(new PluginLoadError(Path.GetFileNameWithoutExtension(clash.AssemblyPath), clash.AssemblyPath, $"transport name '{clash.Name}' is already taken by {assemblyPath}"));
                }

                var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "?";
                _transports.Add(new LoadedTransport(factory.Name, factory, assemblyPath, version.Split('+')[0]));
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var inner = ex is TargetInvocationException { InnerException: { } cause } ? cause : ex;
            var message = inner switch
            {
                FileNotFoundException { FileName: { } missing } => $"it needs {missing}, which is not in its folder (ship the plugin with its dependencies: dotnet publish, or EnableDynamicLoading)",
                BadImageFormatException => $"{Path.GetFileName(assemblyPath)} is not a .NET assembly",
                _ => string.Join(' ', inner.Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
            };
            _errors.Add(new PluginLoadError(name, assemblyPath, message));
        }
    }

    /// <summary>
    /// The plugin's own load context: its dependencies resolve from its <c>.deps.json</c> and folder (the runtime's AssemblyDependencyResolver), and whatever the
    /// host already has (above all the contract assembly) comes from the host, so both sides see one
    /// <see cref="ITransportFactory"/>. This is <c>PluginLoader</c>'s set-up without its <c>runtimeconfig.json</c>
    /// probing, which only finds NuGet-cache folders of development builds and costs each process ~0.1 s (it
    /// deserialises JSON by reflection and throws for every missing <c>runtimeconfig.dev.json</c>).
    /// </summary>
    private static AssemblyLoadContext CreateLoadContext(string assemblyPath)
        => new AssemblyLoadContextBuilder()
            .SetMainAssemblyPath(assemblyPath)
            .PreferDefaultLoadContext(true)
            .PreferDefaultLoadContextAssembly(typeof(ITransportFactory).Assembly.GetName())
            .Build();
}

/// <summary>A transport plugin that loaded.</summary>
public sealed record LoadedTransport(string Name, ITransportFactory Factory, string AssemblyPath, string Version);

/// <summary>A plugin that did not load, and why.</summary>
public sealed record PluginLoadError(string Plugin, string AssemblyPath, string Message);
