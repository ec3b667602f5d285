using System.Globalization;
using System.Net;

namespace PeerFlow.Cli.Commands;

/// <summary>Parses <c>HOST:PORT</c>, <c>[IPv6]:PORT</c>, <c>IPv4:PORT</c>, and <c>unix:/path/to.sock</c> (for transports on Unix domain sockets).</summary>
internal static class EndPointParser
{
    private const string UnixPrefix = "unix:";

    public static EndPoint Parse(string text, string optionName)
    {
        if (text.StartsWith(UnixPrefix, StringComparison.Ordinal))
        {
            var path = text[UnixPrefix.Length..];
            return path.Length > 0
                ? new System.Net.Sockets.UnixDomainSocketEndPoint(path)
                : throw new UsageException($"{optionName}: 'unix:' needs a socket path, e.g. unix:/run/peerflow.sock");
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            throw new UsageException($"{optionName} must be HOST:PORT, not '{text}'");
        }

        var host = text[..colon];
        if (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new UsageException($"{optionName}: '{text[(colon + 1)..]}' is not a port number (0-65535)");
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);
    }

    /// <summary>
    /// <c>HOST:PORT[/PATH]</c>: the peer, and the path below its destination (or, on a daemon, <c>SHARE[/PATH]</c>)
    /// when one follows the port; <c>HOST:PORT/</c> names the destination itself (an empty path). A Unix socket
    /// address takes no path (its own path has slashes).
    /// </summary>
    public static (EndPoint EndPoint, string? Path) ParseWithPath(string text, string optionName)
    {
        if (text.StartsWith(UnixPrefix, StringComparison.Ordinal))
        {
            return (Parse(text, optionName), null);
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (Parse(text, optionName), null) : (Parse(text[..slash], optionName), text[(slash + 1)..].TrimEnd('/'));
    }

    public static string Format(EndPoint endPoint) => endPoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        System.Net.Sockets.UnixDomainSocketEndPoint unix => UnixPrefix + unix,
        _ => endPoint.ToString() ?? "?",
    };
}
