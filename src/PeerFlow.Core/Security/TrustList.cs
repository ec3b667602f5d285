using System.Text;

namespace PeerFlow.Security;

/// <summary>
/// The peers a receiver trusts without being told on its command line: <c>trusted-peers</c> in the PeerFlow home,
/// one peer ID per line, optionally followed by a name; <c>#</c> starts a comment. The file holds only public IDs
/// (hashes of public keys), no secrets, but it decides who may write to this machine, so it is written private to
/// its owner and a line that is not an ID is an error, never skipped.
/// </summary>
public sealed class TrustList
{
    /// <summary>The file's name in the PeerFlow home.</summary>
    public const string FileName = "trusted-peers";

    private readonly List<(PeerId Id, string? Name)> _entries;

    private TrustList(string path, List<(PeerId Id, string? Name)> entries)
    {
        Path = path;
        _entries = entries;
    }

    /// <summary>Where the list is kept.</summary>
    public string Path { get; }

    /// <summary>The trusted peers, in file order, with the names given to them.</summary>
    public IReadOnlyList<(PeerId Id, string? Name)> Entries => _entries;

    /// <summary>The trusted IDs.</summary>
    public IReadOnlySet<PeerId> Ids => _entries.Select(e => e.Id).ToHashSet();

    /// <summary>Reads the list in <paramref name="home"/> (an absent file is an empty list).</summary>
    /// <exception cref="FormatException">A line is not a peer ID; the message names the file and line.</exception>
    public static TrustList Load(string? home = null)
    {
        var path = System.IO.Path.Join(System.IO.Path.GetFullPath(home ?? PeerIdentity.DefaultHome()), FileName);
        var entries = new List<(PeerId, string?)>();
        if (!File.Exists(path))
        {
            return new TrustList(path, entries);
        }

        var number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            var line = raw.Split('#', 2)[0].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var parts = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (!PeerId.TryParse(parts[0], out var id))
            {
                throw new FormatException($"{path}, line {number}: '{parts[0]}' is not a peer ID (as 'peerflow id' prints it)");
            }

            entries.Add((id, parts.Length > 1 ? parts[1] : null));
        }

        return new TrustList(path, entries);
    }

    /// <summary>Trusts <paramref name="id"/> (renaming it if it is trusted already). Returns false when nothing changed.</summary>
    public bool Add(PeerId id, string? name)
    {
        name = string.IsNullOrWhiteSpace(name) ? null : name.ReplaceLineEndings(" ").Replace('#', ' ').Trim();
        var index = _entries.FindIndex(e => e.Id == id);
        if (index >= 0 && (name is null || _entries[index].Name == name))
        {
            return false;
        }

        if (index >= 0)
        {
            _entries[index] = (id, name);
        }
        else
        {
            _entries.Add((id, name));
        }

        Save();
        return true;
    }

    /// <summary>Stops trusting <paramref name="id"/>. Returns false when it was not trusted.</summary>
    public bool Remove(PeerId id)
    {
        if (_entries.RemoveAll(e => e.Id == id) == 0)
        {
            return false;
        }

        Save();
        return true;
    }

    private void Save()
    {
        var text = new StringBuilder("# Peers this PeerFlow installation accepts transfers from: peer ID, then an optional name.\n");
        foreach (var (id, name) in _entries)
        {
            text.Append(id.Text);
            if (name is not null)
            {
                text.Append(' ').Append(name);
            }

            text.Append('\n');
        }

        var directory = System.IO.Path.GetDirectoryName(Path)!;
        Files.PrivateDirectory.Create(directory);

        // Written beside and renamed over: a crash leaves the old list or the new one, never half of one.
        var temporary = Path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(temporary, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), options))
        {
            writer.Write(text.ToString());
        }

        File.Move(temporary, Path, overwrite: true);
    }
}
