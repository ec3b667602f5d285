using System.Net;

using PeerFlow.Transports;

#if WRONG_CONTRACT
[assembly: TransportContract(TransportContract.Version + 41)]
#else
[assembly: TransportContract(TransportContract.Version)]
#endif

namespace PeerFlow.Tests.Misbehaving;

/// <summary>A transport factory that is broken on purpose, in the way its build's compilation symbol says.</summary>
public sealed class MisbehavingTransportFactory : ITransportFactory
{
    public MisbehavingTransportFactory()
    {
#if THROWS_ON_LOAD
        throw new InvalidOperationException("this plugin refuses to start: its configuration is missing");
#elif MISSING_DEPENDENCY
        Dependency = new PeerFlow.Tests.Misbehaving.Dependency.Helper().Describe();
#endif
    }

    public string? Dependency { get; }

#if NAME_CLASH
    public string Name => "tcp";
#else
    public string Name => "misbehaving";
#endif

    public TransportCapabilities Capabilities => TransportCapabilities.None;

    public ValueTask<ITransportListener> BindAsync(EndPoint endPoint, TransportOptions? options = null, CancellationToken cancellationToken = default)
        => throw new TransportException(TransportError.EndPointNotSupported, "a test plugin that never listens");

    public ValueTask<ITransportConnection> ConnectAsync(EndPoint endPoint, TransportOptions? options = null, CancellationToken cancellationToken = default)
        => throw new TransportException(TransportError.EndPointNotSupported, "a test plugin that never connects");
}
