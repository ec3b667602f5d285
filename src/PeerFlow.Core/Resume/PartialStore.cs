using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

using PeerFlow.Files;
using PeerFlow.Pipeline;

namespace PeerFlow.Resume;

/// <summary>
/// Where the receiver keeps one transfer's unfinished files, and the journal that lets a later attempt continue
/// them: <c>DEST/.peerflow/TAG/</c> (mode 0700), holding <c>journal</c> and one <c>RUN-ID.part</c> per open file.
/// </summary>
/// <remarks>
/// <para>The journal is a text file of tab-separated lines, appended with one write each, so it survives the process
/// being killed at any moment (a torn last line is ignored): the roots and the names they are stored under, one
/// <c>run</c> line per attempt, and one <c>file</c> line per partial file worth resuming (size ≥ 1 MiB). How much
/// of a partial file is good is not journaled: it is the file's own length, proven by hashing it against the
/// sender's copy before anything is appended.</para>
/// <para>The journal is held with an exclusive lock for the whole attempt, so two receivers never share one. A new
/// attempt in the same process takes over from an older one that has not noticed its connection died.</para>
/// </remarks>
internal sealed class PartialStore : IDisposable
{
    public const string StateDirectoryName = ".peerflow";
    public const long JournaledFileThreshold = 1024 * 1024;

    /// <summary>Where a sync moves what it deletes when asked to keep it (inside the state directory).</summary>
    public const string TrashDirectoryName = "trash";

    /// <summary>A directory a sync is deleting is first moved into the state directory under this prefix.</summary>
    public const string DeletingPrefix = "deleting-";
    private const string Header = "peerflow-journal\t1";
    private const string JournalName = "journal";

    private static readonly ConcurrentDictionary<string, Holder> Holders = new(StringComparer.Ordinal);

    private readonly FileStream _journal;
    private readonly Holder _holder;
    private bool _disposed;

    private PartialStore(string directory, FileStream journal, Holder holder, JournalRecord? previous, int run)
    {
        Directory = directory;
        _journal = journal;
        _holder = holder;
        Previous = previous;
        Run = run;
    }

    /// <summary>The directory holding the journal and the partial files.</summary>
    public string Directory { get; }

    /// <summary>What earlier attempts left, when they were for the same roots; null for a first attempt.</summary>
    public JournalRecord? Previous { get; }

    /// <summary>This attempt's number; partial files of different attempts never share a name.</summary>
    public int Run { get; }

    /// <summary>
    /// Opens (creating if needed) the store for <paramref name="tag"/> under <paramref name="destination"/> and locks
    /// it. <paramref name="abort"/> is called if a newer attempt of the same sender (same <paramref name="owner"/>: the
    /// sender's transfer id) arrives in this process: its connection is dead or dying. Another sender with the same
    /// key waits for the holder to finish or be dropped, and is refused if it does not within 10 s.
    /// </summary>
    /// <exception cref="IOException">Another receiver or sender holds the store, or it cannot be created.</exception>
    public static async Task<PartialStore> OpenAsync(string destination, string tag, string owner, IReadOnlyList<string> roots, Action abort, CancellationToken cancellationToken, TimeSpan? wait = null)
    {
        var state = Path.Join(destination, StateDirectoryName);
        CreatePrivateDirectory(state);
        var directory = Path.Join(state, tag);
        CreatePrivateDirectory(directory);
        var journalPath = Path.Join(directory, JournalName);
        var journal = await LockAsync(journalPath, owner, wait ?? TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        try
        {
            var previous = Read(journal, roots);
            var run = (previous?.Runs ?? 0) + 1;
            if (previous is null)
            {
                // A first attempt, or one for other roots: what is there is of no use.
                journal.SetLength(0);
                foreach (var file in System.IO.Directory.EnumerateFiles(directory, "*.part"))
                {
                    File.Delete(file);
                }
            }

            journal.Seek(0, SeekOrigin.End);
            var holder = new Holder(owner, abort);
            var store = new PartialStore(directory, journal, holder, previous, run);
            if (previous is null)
            {
                store.Append(Header);
            }

            store.Append($"run\t{run}");
            Holders[journalPath] = holder;
            return store;
        }
        catch
        {
            await journal.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Records where the roots are stored (once, for a first attempt).</summary>
    public void RecordRoots(IEnumerable<(string Offered, RootPlan Plan)> roots)
    {
        foreach (var (offered, plan) in roots)
        {
            Append($"root\t{offered}\t{plan.StoredName}\t{(plan.Fresh ? 1 : 0)}");
        }
    }

    /// <summary>The partial file for entry <paramref name="id"/> of this attempt.</summary>
    public string PartialPath(uint id) => Path.Join(Directory, $"{Run}-{id}.part");

    /// <summary>Records that <paramref name="partialPath"/> holds the start of the file stored at <paramref name="storedPath"/>.</summary>
    public void RecordFile(string partialPath, string storedPath, long size, long modifiedUnixNanoseconds)
        => Append($"file\t{Path.GetFileName(partialPath)}\t{size}\t{modifiedUnixNanoseconds}\t{storedPath}");

    /// <summary>The transfer is over for good (done, or discarded): deletes everything, the lock last.</summary>
    public void Delete()
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory))
        {
            if (Path.GetFileName(file) != JournalName)
            {
                File.Delete(file);
            }
        }

        File.Delete(Path.Join(Directory, JournalName));
        Dispose();
        TryRemoveEmpty(Directory);
        TryRemoveEmpty(Path.GetDirectoryName(Directory)!);
    }

    /// <summary>Releases the lock and keeps everything for a later attempt.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        var path = _journal.Name;
        ((ICollection<KeyValuePair<string, Holder>>)Holders).Remove(new KeyValuePair<string, Holder>(path, _holder));
        _journal.Dispose();
    }

    private static void TryDeleteTree(DirectoryInfo directory)
    {
        try
        {
            directory.Delete(recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Deletes the stores under <paramref name="destination"/> whose journal has not changed for
    /// <paramref name="maxAge"/> and that no receiver holds, except <paramref name="keep"/> (the transfer about to
    /// continue). Never throws.
    /// </summary>
    public static void CleanStale(string destination, TimeSpan maxAge, string? keep = null)
    {
        var state = Path.Join(destination, StateDirectoryName);
        try
        {
            var info = new DirectoryInfo(state);
            if (!info.Exists || (info.Attributes & FileAttributes.ReparsePoint) != 0)
            {
                return;
            }

            var cutoff = DateTime.UtcNow - maxAge;
            foreach (var directory in info.EnumerateDirectories())
            {
                if (directory.Name == TrashDirectoryName || (directory.Attributes & FileAttributes.ReparsePoint) != 0)
                {
                    // The user's deleted files: kept until they empty the trash.
                    continue;
                }

                if (directory.Name.StartsWith(DeletingPrefix, StringComparison.Ordinal))
                {
                    // A sync's deletion that a crash interrupted: it was on its way out.
                    TryDeleteTree(directory);
                    continue;
                }

                var journal = new FileInfo(Path.Join(directory.FullName, JournalName));
                var lastUse = journal.Exists ? journal.LastWriteTimeUtc : directory.LastWriteTimeUtc;
                if (lastUse > cutoff || directory.Name == keep || (directory.Attributes & FileAttributes.ReparsePoint) != 0)
                {
                    continue;
                }

                try
                {
                    using (new FileStream(journal.FullName, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
                    {
                        foreach (var file in directory.EnumerateFiles())
                        {
                            if (file.Name != JournalName)
                            {
                                file.Delete();
                            }
                        }

                        journal.Delete();
                    }

                    directory.Delete();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // In use, or not ours to delete: leave it.
                }
            }

            TryRemoveEmpty(state);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static async Task<FileStream> LockAsync(string journalPath, string owner, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)wait.TotalMilliseconds;
        var askedToLetGo = false;
        while (true)
        {
            try
            {
                // FileShare.None takes an exclusive advisory lock (flock) on Unix: held until disposed, even across
                // processes. bufferSize 0: every journal line is one write(2), so a killed process loses nothing.
                return new FileStream(journalPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                if (!Holders.TryGetValue(journalPath, out var holder))
                {
                    throw new IOException($"another receiver is using '{Path.GetDirectoryName(journalPath)}' (the same transfer is running elsewhere)");
                }

                if (holder.Owner == owner && !askedToLetGo)
                {
                    // The same sender again: it reconnected, so the older connection is dead or dying.
                    holder.Abort();
                    askedToLetGo = true;
                }

                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw new IOException("the same transfer is already running from another sender; wait for it to finish or stop it", ex);
            }
        }
    }

    private static JournalRecord? Read(FileStream journal, IReadOnlyList<string> roots)
    {
        if (journal.Length == 0)
        {
            return null;
        }

        string text;
        using (var reader = new StreamReader(journal, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true))
        {
            text = reader.ReadToEnd();
        }

        var lines = text.Split('\n');
        if (lines[0] != Header)
        {
            return null;
        }

        var record = new JournalRecord();
        // The last element is what follows the final newline: empty, or a line torn by a crash. Either way, skip it.
        for (var i = 1; i < lines.Length - 1; i++)
        {
            var f = lines[i].Split('\t');
            switch (f[0])
            {
                case "root" when f.Length == 4:
                    record.Roots.Add(f[1], new RootPlan(f[2], f[3] == "1"));
                    break;
                case "run" when f.Length == 2:
                    record.Runs = Math.Max(record.Runs, int.Parse(f[1], CultureInfo.InvariantCulture));
                    break;
                case "file" when f.Length == 5:
                    record.Files[f[4]] = new JournaledFile(f[1], long.Parse(f[2], CultureInfo.InvariantCulture), long.Parse(f[3], CultureInfo.InvariantCulture));
                    break;
            }
        }

        return record.Roots.Count == roots.Count && roots.All(record.Roots.ContainsKey) ? record : null;
    }

    private void Append(string line)
    {
        _journal.Write(Encoding.UTF8.GetBytes(line + "\n"));
    }

    private static void CreatePrivateDirectory(string path)
    {
        var info = new DirectoryInfo(path);
        if (info.Attributes != (FileAttributes)(-1) && ((info.Attributes & FileAttributes.ReparsePoint) != 0 || !info.Exists))
        {
            throw new IOException($"'{path}' is not a directory PeerFlow can keep partial files in (a link or a file is in the way)");
        }

        PrivateDirectory.Create(path);
    }

    private static void TryRemoveEmpty(string directory)
    {
        try
        {
            if (!System.IO.Directory.EnumerateFileSystemEntries(directory).Any())
            {
                System.IO.Directory.Delete(directory);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Who holds a store in this process: the sender's transfer id, and how to drop its connection.</summary>
internal sealed record Holder(string Owner, Action Abort);

/// <summary>What the journal says earlier attempts did.</summary>
internal sealed class JournalRecord
{
    public Dictionary<string, RootPlan> Roots { get; } = new(StringComparer.Ordinal);

    public int Runs { get; set; }

    /// <summary>Partial files by the path (relative to the destination, as stored) of the file they belong to.</summary>
    public Dictionary<string, JournaledFile> Files { get; } = new(StringComparer.Ordinal);
}

/// <summary>A partial file and the version of the source it was the start of.</summary>
internal sealed record JournaledFile(string PartialName, long Size, long ModifiedUnixNanoseconds);
