using PeerFlow.Files;
using PeerFlow.Resume;

namespace PeerFlow.Sync;

/// <summary>
/// Where below a receiver's destination a transfer goes (<see cref="Protocol.Messages.TransferOffer.Target"/>): a
/// peer-supplied relative path, checked like every other, that may not pass through a symbolic link or a file.
/// </summary>
internal static class TransferTarget
{
    /// <summary>
    /// Resolves <paramref name="target"/> below <paramref name="destination"/>, creating it with
    /// <paramref name="create"/>. Returns why it cannot be used, or null; <paramref name="path"/> is its full path and
    /// <paramref name="existed"/> whether it was already there.
    /// </summary>
    public static string? Resolve(string destination, string? target, bool create, out string path, out bool existed)
    {
        path = destination;
        existed = true;
        if (string.IsNullOrEmpty(target))
        {
            return null;
        }

        string[] segments;
        try
        {
            segments = SafePath.Split(target);
            path = SafePath.Combine(destination, segments, target);
        }
        catch (InvalidPathException ex)
        {
            return ex.Message;
        }

        if (segments[0] == PartialStore.StateDirectoryName)
        {
            return $"'{PartialStore.StateDirectoryName}' is reserved for PeerFlow's own files";
        }

        var current = destination;
        foreach (var segment in segments)
        {
            current = Path.Join(current, segment);
            var attributes = new FileInfo(current).Attributes;
            if (attributes == (FileAttributes)(-1))
            {
                existed = false;
                break;
            }

            if ((attributes & FileAttributes.ReparsePoint) != 0)
            {
                return $"the target '{SafePath.Printable(target)}' passes through a symbolic link";
            }

            if ((attributes & FileAttributes.Directory) == 0)
            {
                return $"the target '{SafePath.Printable(target)}' exists and is not a directory";
            }
        }

        if (create && !existed)
        {
            try
            {
                using var tree = new DirectoryTree(destination);
                tree.Ensure(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return $"cannot create the target '{SafePath.Printable(target)}': {ex.Message}";
            }
        }

        return null;
    }
}
