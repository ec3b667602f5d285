namespace PeerFlow.Files;

/// <summary>What the receiver does when something already exists where an incoming root would go.</summary>
public enum ConflictPolicy
{
    /// <summary>Store the incoming root under a free name: <c>name (1).ext</c>, <c>dir (1)</c>. Nothing is lost.</summary>
    Rename,

    /// <summary>Merge into existing directories; replace existing files, but only after the new one is verified.</summary>
    Overwrite,

    /// <summary>Merge into existing directories; keep existing files and drop the incoming ones.</summary>
    Skip,

    /// <summary>Refuse the whole transfer if any incoming root already exists.</summary>
    Fail,
}

/// <summary>Finds free names for <see cref="ConflictPolicy.Rename"/>.</summary>
public static class ConflictNames
{
    /// <summary>
    /// Returns <paramref name="name"/> if nothing exists under it in <paramref name="directory"/>, otherwise the first
    /// free <c>stem (n).ext</c> (files) or <c>name (n)</c> (directories).
    /// </summary>
    public static string FirstFree(string directory, string name, bool isDirectory)
    {
        if (!Exists(Path.Join(directory, name)))
        {
            return name;
        }

        for (var n = 1; n < 100_000; n++)
        {
            var candidate = Candidate(name, n, isDirectory);
            if (!Exists(Path.Join(directory, candidate)))
            {
                return candidate;
            }
        }

        throw new IOException($"no free name for '{name}' in {directory}");
    }

    /// <summary>The n-th alternative name: <c>stem (n).ext</c> for files, <c>name (n)</c> for directories.</summary>
    public static string Candidate(string name, int n, bool isDirectory)
    {
        var dot = isDirectory ? -1 : name.LastIndexOf('.');
        return dot > 0 ? $"{name[..dot]} ({n}){name[dot..]}" : $"{name} ({n})";
    }

    /// <summary>True when anything is at <paramref name="path"/>, a dangling symbolic link included (one lstat).</summary>
    public static bool Exists(string path) => new FileInfo(path).Attributes != (FileAttributes)(-1);
}
