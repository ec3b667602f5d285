using PeerFlow.Files;
using PeerFlow.Protocol.Messages;

namespace PeerFlow.Pipeline;

/// <summary>Where one offered root is stored, decided once when the offer arrives.</summary>
/// <param name="StoredName">The name in the destination (differs from the offered one after a conflict rename).</param>
/// <param name="Fresh">Nothing existed under <paramref name="StoredName"/> when the transfer was accepted.</param>
internal sealed record RootPlan(string StoredName, bool Fresh)
{
    /// <summary>Decides every root of <paramref name="offer"/>, or returns why the offer must be refused.</summary>
    public static (Dictionary<string, RootPlan>? Plans, string? Refusal) Decide(TransferOffer offer, string destination, ConflictPolicy policy, bool portableNames = false)
    {
        if (offer.Roots is null || offer.Roots.Length == 0)
        {
            return (null, "the offer names no roots");
        }

        var plans = new Dictionary<string, RootPlan>(StringComparer.Ordinal);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in offer.Roots)
        {
            string[] segments;
            try
            {
                segments = SafePath.Split(root, portableNames ? true : null);
            }
            catch (InvalidPathException ex)
            {
                return (null, ex.Message);
            }

            if (segments.Length != 1)
            {
                return (null, $"root '{SafePath.Printable(root)}' is not a single name");
            }

            if (plans.ContainsKey(root))
            {
                return (null, $"root '{SafePath.Printable(root)}' is offered twice");
            }

            var existing = ConflictNames.Exists(Path.Join(destination, root));
            var stored = root;
            if (existing)
            {
                switch (policy)
                {
                    case ConflictPolicy.Fail:
                        return (null, $"'{SafePath.Printable(root)}' already exists in the destination (--on-conflict fail)");
                    case ConflictPolicy.Rename:
                        stored = FreeName(destination, root, taken);
                        existing = false;
                        break;
                }
            }

            taken.Add(stored);
            plans.Add(root, new RootPlan(stored, !existing));
        }

        return (plans, null);
    }

    private static string FreeName(string destination, string root, HashSet<string> taken)
    {
        // A root is a file or a directory; only files get "stem (n).ext", so try the file form (it is what a user
        // expects for "report.pdf") and accept it for directories too when it has no dot.
        for (var n = 1; ; n++)
        {
            var candidate = ConflictNames.Candidate(root, n, isDirectory: !Path.HasExtension(root));
            if (!taken.Contains(candidate) && !ConflictNames.Exists(Path.Join(destination, candidate)))
            {
                return candidate;
            }
        }
    }
}
