using System.IO.Hashing;

using Microsoft.Win32.SafeHandles;

using PeerFlow.Protocol.Messages;

namespace PeerFlow.Pipeline;

/// <summary>A declared file the receiver has not finished yet.</summary>
internal sealed class IncomingFile(EntryInfo entry, string finalPath, string displayPath, bool freshRoot)
{
    public EntryInfo Entry { get; } = entry;

    /// <summary>Where the file goes once verified.</summary>
    public string FinalPath { get; } = finalPath;

    /// <summary>The path relative to the destination, as stored (after a root rename).</summary>
    public string DisplayPath { get; } = displayPath;

    /// <summary>The file's root was created by this transfer, so nothing else can be at its final path.</summary>
    public bool FreshRoot { get; } = freshRoot;

    public string? TempPath { get; set; }

    public SafeFileHandle? Handle { get; set; }

    /// <summary>The file was created with exactly its permission bits (the umask took none away).</summary>
    public bool ModeIsExact { get; set; }

    /// <summary>The content hash so far (made on first use: most files of a sync are judged unchanged and never hashed).</summary>
    public XxHash128 Hasher => field ??= new();

    /// <summary>Bytes of the file that arrived, in whatever order (with several streams, chunks may overtake each other).</summary>
    public long Received { get; set; }

    /// <summary>Bytes from the start of the file that are written and hashed, with no gap before them.</summary>
    public long Frontier { get; set; }

    /// <summary>Chunks that arrived ahead of <see cref="Frontier"/> (several streams only); null until one does.</summary>
    public ChunkReassembly? Ahead { get; set; }

    /// <summary>The sender's end of this file, when it arrived before all of the file's data (several streams only).</summary>
    public FileEnd? End { get; set; }

    /// <summary>Bytes of a partial file from an earlier attempt, offered to the sender to continue after (0: none).</summary>
    public long ResumeOffset { get; set; }

    /// <summary>Data for this file is dropped: it failed, or the conflict policy skips it.</summary>
    public bool Discard { get; set; }

    public bool Skipped { get; set; }

    /// <summary>Sync: the receiver has a directory where this file goes (replaced only when deletion is allowed).</summary>
    public bool DirectoryInTheWay { get; set; }

    /// <summary>Delta transfer: the receiver's old version, which <see cref="Protocol.Messages.BlockCopy"/> ranges are read from.</summary>
    public SafeFileHandle? Basis { get; set; }

    public long BasisLength { get; set; }
}
