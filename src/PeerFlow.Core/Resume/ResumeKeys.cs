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
}
