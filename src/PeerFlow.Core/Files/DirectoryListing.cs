namespace PeerFlow.Files;

/// <summary>Reads directories fast: names from the enumeration, one <c>statx</c> per entry (<see cref="FileCalls.LStat"/>).</summary>
internal static class DirectoryListing
{
    /// <summary>
    /// A directory's entries in ordinal name order, each with one <c>lstat</c> (<see cref="FileCalls.LStat"/>): names
    /// come from the enumeration without .NET's own per-entry status, so nothing is examined twice.
    /// </summary>
    public static List<(string Name, PathStatus Status)> Read(string directory)
    {
        var names = new System.IO.Enumeration.FileSystemEnumerable<string>(directory, static (ref System.IO.Enumeration.FileSystemEntry entry) => entry.FileName.ToString(), ListOptions);
        var children = new List<(string Name, PathStatus Status)>();
        foreach (var name in names)
        {
            var status = FileCalls.LStat(Path.Join(directory, name));
            if (status.Kind != PathKind.Missing)
            {
                children.Add((name, status));
            }
        }

        children.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return children;
    }

    private static readonly EnumerationOptions ListOptions = new() { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false, ReturnSpecialDirectories = false };
}
