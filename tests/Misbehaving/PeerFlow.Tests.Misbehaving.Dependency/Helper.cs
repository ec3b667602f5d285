namespace PeerFlow.Tests.Misbehaving.Dependency;

/// <summary>Anything a plugin could need from a library of its own.</summary>
public sealed class Helper
{
    public string Describe() => "a helper from a dependency";
}
