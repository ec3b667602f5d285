using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace PeerFlow.Security;

/// <summary>
/// A peer's identity as people exchange it: the first 160 bits of SHA-256 over the certificate's public key
/// (SubjectPublicKeyInfo), in base32, as eight groups of four (<c>ABCD-EFGH-...</c>). Two certificates with the same
/// key have the same ID; nothing else about a certificate matters (IDs are pinned, never validated against a CA).
/// </summary>
public readonly record struct PeerId
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private const int Bytes = 20;

    private PeerId(string text) => Text = text;

    /// <summary>The canonical form: upper case, dashes between groups of four.</summary>
    public string Text { get; }

    public static PeerId Of(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return FromPublicKey(certificate.PublicKey.ExportSubjectPublicKeyInfo());
    }

    public static PeerId FromPublicKey(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(subjectPublicKeyInfo, hash);
        return new PeerId(Format(hash[..Bytes]));
    }

    /// <summary>Parses an ID as a person may type it: any case, dashes and spaces optional.</summary>
    public static bool TryParse(string? text, out PeerId id)
    {
        id = default;
        if (text is null)
        {
            return false;
        }

        var plain = new StringBuilder(32);
        foreach (var c in text)
        {
            if (c is '-' or ' ')
            {
                continue;
            }

            var upper = char.ToUpperInvariant(c);
            if (!Alphabet.Contains(upper, StringComparison.Ordinal))
            {
                return false;
            }

            plain.Append(upper);
        }

        if (plain.Length != Bytes * 8 / 5)
        {
            return false;
        }

        id = new PeerId(Group(plain.ToString()));
        return true;
    }

    public static PeerId Parse(string text)
        => TryParse(text, out var id) ? id : throw new FormatException($"'{text}' is not a PeerFlow peer ID (32 base32 characters, e.g. ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567)");

    public override string ToString() => Text ?? "";

    private static string Format(ReadOnlySpan<byte> data)
    {
        var text = new StringBuilder(data.Length * 8 / 5);
        int buffer = 0, bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        return Group(text.ToString());
    }

    private static string Group(string plain) => string.Join('-', Enumerable.Range(0, plain.Length / 4).Select(i => plain.Substring(i * 4, 4)));
}
