using PeerFlow.Testing;

namespace PeerFlow.Cli.Tests;

public sealed class IdCommandTests : FileSystemTest
{
    protected override string Prefix => "peerflow-id";

    [Test]
    public async Task Id_CreatesTheIdentityOnce_AndPrintsTheSameIdEveryTime()
    {
        var home = Dir.Combine("home");
        var (code, first, stderr) = await PeerFlowProcess.RunAsync("id", "--home", home);
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stderr, Does.Contain("created a new identity in " + home));
        Assert.That(first.Trim(), Does.Match("^([A-Z2-7]{4}-){7}[A-Z2-7]{4}$"));

        var (again, second, stderr2) = await PeerFlowProcess.RunAsync("id", "--home", home);
        Assert.That(again, Is.Zero);
        Assert.That(second, Is.EqualTo(first));
        Assert.That(stderr2, Is.Empty);
    }

    [Test]
    public async Task Id_UsesPeerFlowHome_WhenNoHomeIsGiven()
    {
        var home = Dir.Combine("env-home");
        var (code, stdout, _) = await PeerFlowProcess.RunAsync(["id"], new Dictionary<string, string> { ["PEERFLOW_HOME"] = home });
        Assert.That(code, Is.Zero);
        Assert.That(File.Exists(Path.Combine(home, "identity.key")), Is.True);
        var (_, again, _) = await PeerFlowProcess.RunAsync("id", "--home", home);
        Assert.That(again, Is.EqualTo(stdout));
    }
}
