using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace PeerFlow.Pipeline;

/// <summary>
/// The paths a transfer has declared, to refuse a second declaration of the same path: a duplicate entry could
/// otherwise replace a file this transfer just verified. Where the file system folds case and Unicode forms (Windows,
/// macOS, or when portable names are asked for), <c>Photo.JPG</c> and <c>photo.jpg</c>, or a precomposed and a
/// decomposed <c>é</c>, are the same path. Kept as 64-bit hashes: about 24 bytes per entry, whatever the path length.
/// </summary>
internal sealed class DeclaredPaths(bool caseInsensitive)
{
    private readonly HashSet<ulong> _hashes = [];

    public bool CaseInsensitive { get; } = caseInsensitive;

    /// <summary>False when <paramref name="path"/> (or, case-insensitively, an equivalent) was declared before.</summary>
    public bool Add(string path)
    {
        var key = CaseInsensitive ? path.Normalize(NormalizationForm.FormC).ToUpperInvariant() : path;
        return _hashes.Add(XxHash64.HashToUInt64(MemoryMarshal.AsBytes(key.AsSpan())));
    }
}
