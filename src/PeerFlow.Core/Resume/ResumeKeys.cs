using System.IO.Hashing;
using System.Text;

using PeerFlow.Files;

namespace PeerFlow.Resume;

/// <summary>The sender's default resume key: the same host sending the same paths again gets the same key.</summary>
public static class ResumeKeys
{
    /// <summary>XXH128 of the host name and the sources' full paths (16 bytes).</summary>
    public static byte[] For(SourceSet sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var text = new StringBuilder("peerflow-resume-1\n").Append(Environment.MachineName).Append('\n');
        foreach (var path in sources.RootPaths)
        {
            text.Append(path).Append('\n');
        }

        return XxHash128.Hash(Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>
    /// The name of a transfer's partial store on the receiver. From an authenticated sender it is bound to the
    /// sender's ID as well, so another peer that learns (or guesses) the key can neither continue nor take over that
    /// sender's transfer; a plaintext sender's store is named by the key alone.
    /// </summary>
    public static string StoreTag(byte[] resumeKey, Security.PeerId? sender)
    {
        ArgumentNullException.ThrowIfNull(resumeKey);
        if (sender is not { } id)
        {
            return Convert.ToHexStringLower(resumeKey);
        }

        var bound = new XxHash128();
        bound.Append(resumeKey);
        bound.Append(Encoding.UTF8.GetBytes(id.Text));
        return "p-" + Convert.ToHexStringLower(bound.GetCurrentHash());
    }
}
