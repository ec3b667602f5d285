namespace PeerFlow.Delta;

/// <summary>
/// rsync's weak checksum of a block of <c>n</c> bytes: <c>a = Σ x[i]</c>, <c>b = Σ (n - i) x[i]</c>, both mod 2^16,
/// as <c>a | b &lt;&lt; 16</c>. It rolls: moving the window one byte costs a few additions, so the sender can look for
/// the receiver's blocks at every offset of its file.
/// </summary>
internal struct RollingChecksum
{
    private uint _a;
    private uint _b;
    private readonly uint _length;

    private RollingChecksum(uint a, uint b, int length)
    {
        _a = a;
        _b = b;
        _length = (uint)length;
    }

    public readonly uint Value => (_a & 0xFFFF) | (_b << 16);

    /// <summary>The checksum of <paramref name="block"/>.</summary>
    public static RollingChecksum Of(ReadOnlySpan<byte> block)
    {
        uint a = 0, b = 0;
        var n = (uint)block.Length;
        for (var i = 0; i < block.Length; i++)
        {
            a += block[i];
            b += (n - (uint)i) * block[i];
        }

        return new RollingChecksum(a, b, block.Length);
    }

    /// <summary>Moves the window one byte on: <paramref name="leaving"/> was its first byte, <paramref name="entering"/> follows its last.</summary>
    public void Roll(byte leaving, byte entering)
    {
        _a += (uint)entering - leaving;
        _b += _a - (_length * leaving);
    }
}
