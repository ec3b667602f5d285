using PeerFlow.Files;
using PeerFlow.Protocol.Messages;

namespace PeerFlow.Sync;

/// <summary>The receiver's side of one sync transfer: what the sender asked for, within what this receiver allows.</summary>
internal sealed class SyncPlan
{
    private SyncPlan(SyncRequest request, SyncPolicy policy, bool forceTrash, PathFilter protect)
    {
        Request = request;
        Policy = policy;
        Trash = forceTrash || request.Trash;
        Protect = protect;
    }

    public SyncRequest Request { get; }

    public SyncPolicy Policy { get; }

    public bool DryRun => Request.DryRun;

    /// <summary>Deleted entries are moved to the trash (the sender asked, or this receiver always does).</summary>
    public bool Trash { get; }

    /// <summary>What the sender leaves out on purpose: never deleted here.</summary>
    public PathFilter Protect { get; }

    /// <summary>
    /// Checks what a peer may ask for: the reason to refuse the offer, or null and the <paramref name="plan"/> (its
    /// protect rules compiled once, here).
    /// </summary>
    public static string? Refusal(TransferOffer offer, SyncPolicy policy, bool forceTrash, out SyncPlan? plan)
    {
        plan = null;
        var request = offer.Sync!;
        if (policy == SyncPolicy.Refuse)
        {
            return "this receiver does not accept sync transfers (it runs with --sync refuse)";
        }

        if (offer.Roots is not { Length: 1 })
        {
            return "a sync mirrors exactly one root";
        }

        if (request.MaxDelete < -1 || request.MaxDeletePercent is < 0 or > 100)
        {
            return "the sync's deletion limits are out of range";
        }

        if (request.Protect is { Length: > Protocol.ProtocolConstants.MaxProtectRules })
        {
            return $"the sync protects more than {Protocol.ProtocolConstants.MaxProtectRules} patterns";
        }

        PathFilter protect;
        try
        {
            protect = PathFilter.None.WithIgnoreFile(request.Protect ?? []);
        }
        catch (ArgumentException ex)
        {
            return $"the sync's protect rules: {ex.Message}";
        }

        plan = new SyncPlan(request, policy, forceTrash, protect);
        return null;
    }
}
