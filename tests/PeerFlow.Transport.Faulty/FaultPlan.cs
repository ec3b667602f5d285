using System.Globalization;

namespace PeerFlow.Transports.Faulty;

/// <summary>
/// What goes wrong on the connections the faulty transport opens, from the transport options or, when they have
/// none, the <c>PEERFLOW_FAULTS</c> environment variable (so the real CLI can be driven): <c>key=value</c> pairs
/// separated by <c>;</c>. Sizes take K/M/G suffixes; every byte count is per connection, of what it writes.
/// <list type="bullet">
/// <item><c>cut-after=N</c>: reset the connection after writing N bytes.</item>
/// <item><c>cuts=K</c>: only the first K connections get the cut, the stall and the corruption (default: every one); the rate applies to all.</item>
/// <item><c>stall-after=N</c>: after N bytes, neither write nor read again, and keep the connection open (a silent peer).</item>
/// <item><c>corrupt-at=N</c>: flip the bits of the byte at offset N of what is written.</item>
/// <item><c>rate=N</c>: write at most N bytes per second.</item>
/// </list>
/// </summary>
internal sealed record FaultPlan(long CutAfter, int Cuts, long StallAfter, long CorruptAt, long Rate)
{
    public const string Variable = "PEERFLOW_FAULTS";

    public static FaultPlan Parse(TransportOptions? options)
    {
        var text = options?.Values.GetValueOrDefault("faults") ?? Environment.GetEnvironmentVariable(Variable) ?? "";
        long cutAfter = -1, stallAfter = -1, corruptAt = -1, rate = 0;
        var cuts = int.MaxValue;
        foreach (var pair in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = pair.Split('=', 2);
            var value = parts.Length == 2 ? parts[1] : throw new ArgumentException($"fault '{pair}' is not key=value");
            switch (parts[0])
            {
                case "cut-after": cutAfter = Size(value); break;
                case "cuts": cuts = (int)Size(value); break;
                case "stall-after": stallAfter = Size(value); break;
                case "corrupt-at": corruptAt = Size(value); break;
                case "rate": rate = Size(value); break;
                default: throw new ArgumentException($"unknown fault '{parts[0]}'");
            }
        }

        return new FaultPlan(cutAfter, cuts, stallAfter, corruptAt, rate);
    }

    private static long Size(string text)
    {
        var multiplier = char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1L };
        var digits = multiplier == 1 ? text : text[..^1];
        return long.Parse(digits, CultureInfo.InvariantCulture) * multiplier;
    }
}
