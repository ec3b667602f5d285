using PeerFlow.Files;
using PeerFlow.Security;
using PeerFlow.Sync;

namespace PeerFlow.Transfers;

/// <summary>One named share of a receiving daemon: a directory, the peers that may send into it, and its policies.</summary>
/// <param name="Name">What senders call it: the first name of their target.</param>
/// <param name="Path">The directory transfers into this share are stored in (created if missing).</param>
public sealed record ReceiveShare(string Name, string Path)
{
    /// <summary>Peer IDs that may send into this share (this installation's own ID always may).</summary>
    public IReadOnlySet<PeerId> TrustedPeers { get; init; } = new HashSet<PeerId>();

    public SyncPolicy Sync { get; init; } = SyncPolicy.Allow;

    public bool Trash { get; init; }

    public ConflictPolicy OnConflict { get; init; } = ConflictPolicy.Rename;

    public bool AllowSymlinks { get; init; }

    /// <summary>
    /// The share a transfer names in <paramref name="target"/>, as the options to receive it with, and the rest of
    /// the target below the share (null: the share's directory itself); or why it may not be used. A peer is only
    /// told the names of shares it may use.
    /// </summary>
    internal static (ReceiveOptions? Options, string? Below, string? Refusal) Resolve(ReceiveOptions daemon, string? target, PeerId? peer)
    {
        var shares = daemon.Shares!;
        bool Allowed(ReceiveShare share) => daemon.AllowPlaintext || (peer is { } id && (id == daemon.Identity?.Id || share.TrustedPeers.Contains(id)));
        var usable = shares.Where(Allowed).Select(s => s.Name).ToList();
        if (usable.Count == 0)
        {
            return (null, null, peer is { } id ? $"this receiver does not trust peer ID {id} for any of its shares" : "this receiver accepts only encrypted, authenticated connections; the sender used plaintext (--insecure)");
        }

        var names = string.Join(", ", usable);
        if (string.IsNullOrEmpty(target))
        {
            return (null, null, $"this receiver serves shares: name one as HOST:PORT/SHARE[/PATH] (yours: {names})");
        }

        string[] segments;
        try
        {
            segments = SafePath.Split(target);
        }
        catch (InvalidPathException ex)
        {
            return (null, null, ex.Message);
        }

        var share = shares.FirstOrDefault(s => s.Name == segments[0]);
        if (share is null || !Allowed(share))
        {
            return (null, null, $"no share named '{SafePath.Printable(segments[0])}' that peer ID {peer?.ToString() ?? "(plaintext)"} may use here (yours: {names})");
        }

        var options = daemon with
        {
            Destination = share.Path,
            Shares = null,
            TrustedPeers = share.TrustedPeers,
            IsTrusted = null,
            Sync = share.Sync,
            Trash = share.Trash,
            OnConflict = share.OnConflict,
            AllowSymlinks = share.AllowSymlinks,
        };
        return (options, segments.Length == 1 ? null : string.Join('/', segments[1..]), null);
    }
}
