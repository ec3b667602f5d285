namespace PeerFlow.Testing;

/// <summary>
/// How long the property-based fuzz tests run: a short fixed-seed pass by default (CI), any length and seed through
/// <c>PEERFLOW_FUZZ_ITERATIONS</c> and <c>PEERFLOW_FUZZ_SEED</c>.
/// </summary>
public static class FuzzSettings
{
    public static int Iterations { get; } = int.TryParse(Environment.GetEnvironmentVariable("PEERFLOW_FUZZ_ITERATIONS"), out var n) ? n : 20_000;

    public static int Seed { get; } = int.TryParse(Environment.GetEnvironmentVariable("PEERFLOW_FUZZ_SEED"), out var s) ? s : 20261124;
}
