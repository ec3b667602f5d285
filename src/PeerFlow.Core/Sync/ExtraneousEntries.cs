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
            foreach (var (name, status) in List(fullPath))
            {
                if (path.Length == 0 && name == stateDirectoryName)
                {
                    continue;
                }

                found.Seen++;
                var childPath = path.Length == 0 ? name : path + "/" + name;
                if (declared(childPath))
                {
                    continue;
                }

                var isLink = status.Kind == PathKind.Link;
                var isDirectory = status.Kind == PathKind.Directory;
                if (protect.Excludes(childPath, isDirectory) || (isLink && !links))
                {
                    continue;
                }

                var kind = isLink ? EntryKind.Symlink : isDirectory ? EntryKind.Directory : EntryKind.File;
                var childFull = Path.Join(fullPath, name);
                found.TopLevel.Add(new Candidate(childFull, childPath, kind));
                if (isDirectory)
                {
                    found.AddTree(childFull, childPath);
                }

                found.Add(childPath, kind, kind == EntryKind.File ? status.Size : 0);
            }
        }

        return found;
    }

    /// <summary>Everything inside a directory that goes, children before their directory; links are not followed.</summary>
    private void AddTree(string fullPath, string path)
    {
        foreach (var (name, status) in List(fullPath))
        {
            Seen++;
            var childPath = path + "/" + name;
            if (status.Kind == PathKind.Directory)
            {
                AddTree(Path.Join(fullPath, name), childPath);
                Add(childPath, EntryKind.Directory, 0);
            }
            else
            {
                Add(childPath, status.Kind == PathKind.Link ? EntryKind.Symlink : EntryKind.File, status.Kind == PathKind.File ? status.Size : 0);
            }
        }
    }

    private void Add(string path, EntryKind kind, long size)
    {
        All.Add(new DeletedEntry { Path = path, Kind = kind, Size = size });
        Bytes += size;
    }

    private static List<(string Name, PathStatus Status)> List(string directory)
    {
        try
        {
            return DirectoryListing.Read(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not there (a dry run, or a directory that could not be created) or not readable: nothing in it is deleted.
            return [];
        }
    }
}
