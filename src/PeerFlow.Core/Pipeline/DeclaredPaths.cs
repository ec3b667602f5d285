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
    public bool Add(string path) => _hashes.Add(Key(path));

    /// <summary>
    /// Whether <paramref name="path"/> (or an equivalent) was declared. A hash collision can only make an undeclared
    /// path look declared, which errs on the safe side for its one use: a sync deletes only what is not declared.
    /// </summary>
    public bool Contains(string path) => _hashes.Contains(Key(path));

    private ulong Key(string path)
    {
        var key = CaseInsensitive ? path.Normalize(NormalizationForm.FormC).ToUpperInvariant() : path;
        return XxHash64.HashToUInt64(MemoryMarshal.AsBytes(key.AsSpan()));
    }
}
