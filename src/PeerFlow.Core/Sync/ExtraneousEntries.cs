using PeerFlow.Files;
using PeerFlow.Protocol.Messages;

namespace PeerFlow.Sync;

/// <summary>
/// What a sync would delete at the receiver: entries inside the directories the sender declared that it did not
/// declare itself, minus what the sender's rules leave out on purpose (<see cref="SyncRequest.Protect"/>), links
/// when the sender does not sync links, and PeerFlow's own state directory. Directories the sender did not declare
/// are never looked into, unless they are themselves to be deleted (then everything inside goes with them).
/// </summary>
internal sealed class ExtraneousEntries
{
    /// <summary>One entry to delete at the top of what goes: a file, a link, or a directory with all it holds.</summary>
    public sealed record Candidate(string FullPath, string Path, EntryKind Kind);

    public List<Candidate> TopLevel { get; } = [];

    /// <summary>Everything that goes, a directory's content before the directory, for the report.</summary>
    public List<DeletedEntry> All { get; } = [];

    /// <summary>Entries seen below the target: what exists there that the sync covers (for the share limit).</summary>
    public long Seen { get; private set; }

    public long Bytes { get; private set; }

    /// <summary>Scans <paramref name="directories"/> (full path, path below the target; "" is the target itself).</summary>
    public static ExtraneousEntries Find(IEnumerable<(string FullPath, string Path)> directories, Func<string, bool> declared, PathFilter protect, bool links, string stateDirectoryName)
    {
        var found = new ExtraneousEntries();
        foreach (var (fullPath, path) in directories)
        {
            foreach (var child in List(fullPath))
            {
                if (path.Length == 0 && child.Name == stateDirectoryName)
                {
                    continue;
                }

                found.Seen++;
                var childPath = path.Length == 0 ? child.Name : path + "/" + child.Name;
                if (declared(childPath))
                {
                    continue;
                }

                var isLink = (child.Attributes & FileAttributes.ReparsePoint) != 0;
                var isDirectory = !isLink && child is DirectoryInfo;
                if (protect.Excludes(childPath, isDirectory) || (isLink && !links))
                {
                    continue;
                }

                var kind = isLink ? EntryKind.Symlink : isDirectory ? EntryKind.Directory : EntryKind.File;
                found.TopLevel.Add(new Candidate(child.FullName, childPath, kind));
                if (isDirectory)
                {
                    found.AddTree(child.FullName, childPath);
                }

                found.Add(childPath, kind, kind == EntryKind.File ? ((FileInfo)child).Length : 0);
            }
        }

        return found;
    }

    /// <summary>Everything inside a directory that goes, children before their directory; links are not followed.</summary>
    private void AddTree(string fullPath, string path)
    {
        foreach (var child in List(fullPath))
        {
            Seen++;
            var childPath = path + "/" + child.Name;
            var isLink = (child.Attributes & FileAttributes.ReparsePoint) != 0;
            if (!isLink && child is DirectoryInfo)
            {
                AddTree(child.FullName, childPath);
                Add(childPath, EntryKind.Directory, 0);
            }
            else
            {
                Add(childPath, isLink ? EntryKind.Symlink : EntryKind.File, isLink ? 0 : ((FileInfo)child).Length);
            }
        }
    }

    private void Add(string path, EntryKind kind, long size)
    {
        All.Add(new DeletedEntry { Path = path, Kind = kind, Size = size });
        Bytes += size;
    }

    private static FileSystemInfo[] List(string directory)
    {
        try
        {
            var children = new DirectoryInfo(directory).GetFileSystemInfos();
            Array.Sort(children, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            return children;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not there (a dry run, or a directory that could not be created) or not readable: nothing in it is deleted.
            return [];
        }
    }
}
