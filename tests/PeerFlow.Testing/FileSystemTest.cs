namespace PeerFlow.Testing;

/// <summary>Base for tests that need a scratch directory: a fresh one per test, deleted afterwards.</summary>
public abstract class FileSystemTest
{
    protected TempDirectory Dir { get; private set; } = null!;

    /// <summary>Where transfers land in these tests.</summary>
    protected string Dest => Dir.Combine("dest");

    protected virtual string Prefix => "peerflow-test";

    [SetUp]
    public void CreateDirectory() => Dir = new TempDirectory(Prefix);

    [TearDown]
    public void DeleteDirectory() => Dir.Dispose();
}
