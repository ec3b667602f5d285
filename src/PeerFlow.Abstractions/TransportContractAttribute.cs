namespace PeerFlow.Transports;

/// <summary>
/// Declares, on a plugin assembly, the version of this contract the plugin was written against. The host refuses a
/// plugin whose major version differs from <see cref="TransportContract.Version"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
public sealed class TransportContractAttribute : Attribute
{
    /// <summary>Declares the contract version the plugin targets.</summary>
    public TransportContractAttribute(int version) => Version = version;

    /// <summary>The declared contract version.</summary>
    public int Version { get; }
}

/// <summary>Facts about this contract assembly.</summary>
public static class TransportContract
{
    /// <summary>The contract version; bumped only on a breaking change.</summary>
    public const int Version = 1;
}
