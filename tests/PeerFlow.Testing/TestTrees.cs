using System.Security.Cryptography;
using System.Text;

namespace PeerFlow.Testing;

/// <summary>Builds source trees for transfer tests and compares trees after a transfer.</summary>
public static class TestTrees
{
    /// <summary>A file of <paramref name="size"/> bytes: random (incompressible) or repetitive text (compressible).</summary>
    public static void WriteFile(string path, long size, bool compressible = false, int seed = 1)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        var random = new Random(seed);
        var buffer = new byte[Math.Min(size, 1 << 20)];
        long written = 0;
        while (written < size)
        {
            var count = (int)Math.Min(buffer.Length, size - written);
            if (compressible)
            {
                var line = Encoding.ASCII.GetBytes($"{written:D12} INFO request served in {random.Next(1000)} ms by worker {random.Next(8)}\n");
                for (var i = 0; i < count; i++)
                {
                    buffer[i] = line[i % line.Length];
                }
            }
            else
            {
                random.NextBytes(buffer.AsSpan(0, count));
            }

            stream.Write(buffer, 0, count);
            written += count;
        }
    }

    /// <summary>A tree with nesting, empty directories, empty files, non-ASCII and space-containing names, both kinds of data.</summary>
    public static string CreateMixedTree(string parent, string name = "tree")
    {
        var root = System.IO.Path.Combine(parent, name);
        WriteFile(System.IO.Path.Combine(root, "a", "b", "c", "deep.txt"), 1000, compressible: true);
        WriteFile(System.IO.Path.Combine(root, "random.bin"), (3 << 20) + 12345, seed: 7);
        WriteFile(System.IO.Path.Combine(root, "logs", "app.log"), 5 << 20, compressible: true);
        WriteFile(System.IO.Path.Combine(root, "zero.bin"), 0);
        WriteFile(System.IO.Path.Combine(root, "with space", "naïve café ☕.txt"), 4321, compressible: true);
        WriteFile(System.IO.Path.Combine(root, "日本語", "ファイル.dat"), 70_000, seed: 3);
        Directory.CreateDirectory(System.IO.Path.Combine(root, "empty"));
        Directory.CreateDirectory(System.IO.Path.Combine(root, "nested-empty", "inner"));
        var old = new DateTime(2020, 2, 29, 12, 34, 56, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(System.IO.Path.Combine(root, "random.bin"), old);
        Directory.SetLastWriteTimeUtc(System.IO.Path.Combine(root, "empty"), old);
        return root;
    }

    /// <summary>Many small files spread over directories.</summary>
    public static string CreateSmallFiles(string parent, int count, string name = "small")
    {
        var root = System.IO.Path.Combine(parent, name);
        for (var i = 0; i < count; i++)
        {
            WriteFile(System.IO.Path.Combine(root, $"d{i / 100:D3}", $"f{i:D5}.bin"), 1 + (i * 37 % 4096), seed: i);
        }

        return root;
    }

    /// <summary>
    /// Asserts that <paramref name="actual"/> holds exactly what <paramref name="expected"/> holds: the same
    /// directories (empty ones too), the same files with the same bytes, and the same modification times.
    /// </summary>
    public static void AssertSameTree(string expected, string actual)
    {
        var want = Describe(expected);
        var got = Describe(actual);
        Assert.That(got.Keys, Is.EquivalentTo(want.Keys), "entries differ");
        foreach (var (path, description) in want)
        {
            Assert.That(got[path], Is.EqualTo(description), $"'{path}' differs");
        }
    }

    /// <summary>Whether <paramref name="prefix"/> holds exactly the first bytes of <paramref name="file"/>.</summary>
    public static bool SameBytesAsPrefix(string file, string prefix)
    {
        var expected = File.ReadAllBytes(file);
        var actual = File.ReadAllBytes(prefix);
        return actual.Length <= expected.Length && expected.AsSpan(0, actual.Length).SequenceEqual(actual);
    }

    /// <summary>Relative path → "dir|mtime" or "file|size|mtime|sha256".</summary>
    public static Dictionary<string, string> Describe(string root)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (File.Exists(root))
        {
            result[""] = FileDescription(root);
            return result;
        }

        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            var relative = System.IO.Path.GetRelativePath(root, entry.FullName).Replace('\\', '/');
            result[relative] = entry is DirectoryInfo ? $"dir|{Seconds(entry.LastWriteTimeUtc)}" : FileDescription(entry.FullName);
        }

        return result;
    }

    private static string FileDescription(string path)
    {
        var info = new FileInfo(path);
        using var stream = File.OpenRead(path);
        return $"file|{info.Length}|{Seconds(info.LastWriteTimeUtc)}|{Convert.ToHexString(SHA256.HashData(stream))}";
    }

    private static long Seconds(DateTime time) => time.Ticks / TimeSpan.TicksPerMillisecond;
}
