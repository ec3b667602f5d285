using System.Globalization;
using System.Net;

namespace PeerFlow.Cli.Commands;

/// <summary>Parses <c>HOST:PORT</c>, <c>[IPv6]:PORT</c>, <c>IPv4:PORT</c>.</summary>
internal static class EndPointParser
{
    public static EndPoint Parse(string text, string optionName)
    {
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

    public static string Format(EndPoint endPoint) => endPoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endPoint.ToString() ?? "?",
    };
}
