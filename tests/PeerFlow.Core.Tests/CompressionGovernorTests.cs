using PeerFlow.Compression;

namespace PeerFlow.Core.Tests;

public sealed class CompressionGovernorTests
{
    private long _now;

    private CompressionGovernor Create(CompressionMode mode) => new(mode, () => _now);

    /// <summary>One measured window that took <paramref name="ticks"/> (less time = faster).</summary>
    private void Window(CompressionGovernor governor, long ticks)
    {
        _now += ticks;
        governor.Observe((int)CompressionGovernor.WindowBytes);
    }

    [Test]
    public void Auto_MeasuresBoth_AndKeepsRawWhenCompressingIsSlower()
    {
        var governor = Create(CompressionMode.Auto);
        Assert.That(governor.Enabled, Is.True, "the first window is measured with compression");
        Window(governor, 1500);
        Assert.That(governor.Enabled, Is.False, "the second window is measured without");
        Window(governor, 1000);
        Assert.That(governor.Enabled, Is.False);
        Assert.That(governor.ChoseRaw, Is.EqualTo(1));
    }

    [Test]
    public void Auto_KeepsCompressionWhenItIsClearlyFaster()
    {
        var governor = Create(CompressionMode.Auto);
        Window(governor, 400);
        Window(governor, 1000);
        Assert.That(governor.Enabled, Is.True);
        Assert.That(governor.ChoseCompression, Is.EqualTo(1));
    }

    [Test]
    public void Auto_PrefersRawWhenBothAreAboutAsFast()
    {
        var governor = Create(CompressionMode.Auto);
        Window(governor, 980);
        Window(governor, 1000);
        Assert.That(governor.Enabled, Is.False, "2 % is inside the margin; raw spares both CPUs");
    }

    [Test]
    public void Auto_MeasuresAgainAfterTheExploitWindows_AndFollowsAChangingLink()
    {
        var governor = Create(CompressionMode.Auto);
        Window(governor, 1500);
        Window(governor, 1000);
        for (var i = 0; i < CompressionGovernor.ExploitWindows; i++)
        {
            Assert.That(governor.Enabled, Is.False);
            Window(governor, 1000);
        }

        Assert.That(governor.Enabled, Is.True, "measuring again, compression first");
        Window(governor, 300);
        Window(governor, 1000);
        Assert.That(governor.Enabled, Is.True, "the link got slow: now compression wins");
    }

    [TestCase(CompressionMode.Lz4, true)]
    [TestCase(CompressionMode.None, false)]
    public void FixedModes_NeverChange(CompressionMode mode, bool enabled)
    {
        var governor = Create(mode);
        for (var i = 0; i < 20; i++)
        {
            Window(governor, 1000 + (i * 100));
            Assert.That(governor.Enabled, Is.EqualTo(enabled));
        }
    }

    [Test]
    public void NoDecisionBeforeAWholeWindow()
    {
        var governor = Create(CompressionMode.Auto);
        _now += 1000;
        governor.Observe(1024);
        Assert.That(governor.Enabled, Is.True);
    }
}
