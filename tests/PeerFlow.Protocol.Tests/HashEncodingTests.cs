using System.IO.Hashing;

namespace PeerFlow.Protocol.Tests;

/// <summary>docs/PROTOCOL.md §5.6 promises XXH3-128, seed 0, canonical big-endian form; an interoperable peer relies on it.</summary>
public sealed class HashEncodingTests
{
    [Test]
    public void EmptyInput_HasTheDocumentedHash()
        => Assert.That(Convert.ToHexStringLower(XxHash128.Hash([])), Is.EqualTo("99aa06d3014798d86001c324468d497f"));

    [Test]
    public void HashBytes_AreTheCanonicalBigEndianForm_HighHalfFirst()
    {
        var data = "PeerFlow"u8.ToArray();
        var value = XxHash128.HashToUInt128(data);
        var expected = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(expected, value);
        Assert.That(XxHash128.Hash(data), Is.EqualTo(expected));
    }

    [Test]
    public void IncrementalHashing_MatchesOneShot()
    {
        var data = new byte[3_000_000];
        new Random(4).NextBytes(data);
        var incremental = new XxHash128();
        incremental.Append(data.AsSpan(0, 1_048_576));
        incremental.Append(data.AsSpan(1_048_576, 1));
        incremental.Append(data.AsSpan(1_048_577));
        Assert.That(incremental.GetCurrentHash(), Is.EqualTo(XxHash128.Hash(data)));
    }
}
