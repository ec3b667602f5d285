using Microsoft.Win32.SafeHandles;

namespace PeerFlow.Files;

/// <summary>Reads directories fast: names from the enumeration, one <c>statx</c> per entry (<see cref="FileCalls.LStat"/>).</summary>
internal static class DirectoryListing
{
    /// <summary>
    /// A directory's entries in ordinal name order, each with one <c>lstat</c>: names come from the enumeration
    /// without .NET's own per-entry status, so nothing is examined twice. On Linux each name is looked up in the open
    /// directory (<c>statx</c> relative to its descriptor), so the kernel does not walk the whole path every time.
    /// </summary>
    public static List<(string Name, PathStatus Status)> Read(string directory)
    {
        // Names sorted first, then examined in that order: sorting strings is code the runtime has precompiled, while
        // sorting (name, status) pairs is a generic instantiation each process would compile (several ms on the walk's
        // first directory).
        var names = new List<string>(Names(directory));
        names.Sort(StringComparer.Ordinal);
        var children = new List<(string Name, PathStatus Status)>(names.Count);
        using var handle = FileCalls.Native ? TryOpen(directory) : null;
        foreach (var name in names)
        {
            var status = (handle is null ? null : FileCalls.TryLStatAt(handle, name, directory)) ?? FileCalls.LStat(Path.Join(directory, name));
            if (status.Kind != PathKind.Missing)
            {
                children.Add((name, status));
            }
        }

        return children;
    }

    /// <summary>The names in <paramref name="directory"/>, in the order the system lists them; nothing else is examined.</summary>
    public static IEnumerable<string> Names(string directory)
        => new System.IO.Enumeration.FileSystemEnumerable<string>(directory, static (ref System.IO.Enumeration.FileSystemEntry entry) => entry.FileName.ToString(), ListOptions);

    private static SafeFileHandle? TryOpen(string directory)
    {
        try
        {
            return FileCalls.OpenDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The enumeration reports it (or it can be listed but not opened): each entry is examined by its path.
            return null;
        }
    }

    private static readonly EnumerationOptions ListOptions = new() { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false, ReturnSpecialDirectories = false };
}
