using PeerFlow.Protocol;
using PeerFlow.Protocol.Framing;
using PeerFlow.Protocol.Messages;
using PeerFlow.Session;

namespace PeerFlow.Transfers;

/// <summary>The versioned handshake both sides run before anything else.</summary>
internal static class Handshake
{
    public static string Software { get; } = "PeerFlow/" + (typeof(Handshake).Assembly.GetName().Version?.ToString(3) ?? "0");

    private static readonly string[] OurCapabilities = [ProtocolConstants.CapabilityLz4, ProtocolConstants.CapabilityResume, ProtocolConstants.CapabilitySymlinks, ProtocolConstants.CapabilityStreams, ProtocolConstants.CapabilitySync, ProtocolConstants.CapabilityLz4Control, ProtocolConstants.CapabilityCompactEntries];

    /// <summary>Connecting side: preface + Hello, then the peer's preface + HelloReply. Returns the shared capabilities.</summary>
    public static async Task<HashSet<string>> ConnectAsync(FrameConnection connection, CancellationToken cancellationToken)
    {
        connection.WritePreface();
        FrameWriter.WriteControl(connection.Output, new Hello
        {
            ProtocolVersion = ProtocolConstants.Version,
            MinProtocolVersion = ProtocolConstants.MinVersion,
            Software = Software,
            Capabilities = OurCapabilities,
        });
        await connection.FlushAsync(cancellationToken).ConfigureAwait(false);
        await connection.ReadPrefaceAsync(cancellationToken).ConfigureAwait(false);
        var reply = await connection.ReadControlAsync<HelloReply>(cancellationToken).ConfigureAwait(false);
        if (reply.ProtocolVersion < ProtocolConstants.MinVersion || reply.ProtocolVersion > ProtocolConstants.Version)
        {
            throw new ProtocolException($"the peer chose protocol version {reply.ProtocolVersion}, which this build does not speak");
        }

        return [.. (reply.Capabilities ?? []).Intersect(OurCapabilities, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Connecting side of an extra data stream: preface + <see cref="JoinStream"/>, then the peer's preface +
    /// <see cref="JoinReply"/>. Throws when the receiver refuses the stream.
    /// </summary>
    public static async Task JoinAsync(FrameConnection connection, JoinStream join, CancellationToken cancellationToken)
    {
        connection.WritePreface();
        FrameWriter.WriteControl(connection.Output, join);
        await connection.FlushAsync(cancellationToken).ConfigureAwait(false);
        await connection.ReadPrefaceAsync(cancellationToken).ConfigureAwait(false);
        var reply = await connection.ReadControlAsync<JoinReply>(cancellationToken).ConfigureAwait(false);
        if (!reply.Accepted)
        {
            throw new ProtocolException($"the receiver refused data stream {join.Stream}: {reply.Reason ?? "no reason given"}");
        }
    }

    /// <summary>
    /// Listening side: the peer's preface + Hello, then ours + HelloReply. Returns the shared capabilities, or the
    /// peer's <see cref="JoinStream"/> when it opened the connection as an extra data stream of a transfer (no reply
    /// is sent then: joining has its own).
    /// </summary>
    public static async Task<(HashSet<string> Capabilities, JoinStream? Join)> AcceptAsync(FrameConnection connection, CancellationToken cancellationToken)
    {
        await connection.ReadPrefaceAsync(cancellationToken).ConfigureAwait(false);
        // The peer speaks PeerFlow: from here on it gets our preface and, if anything goes wrong, a reason.
        connection.WritePreface();
        var first = await connection.ReadControlAsync(cancellationToken).ConfigureAwait(false);
        if (first is JoinStream join)
        {
            return ([], join);
        }

        var hello = first as Hello ?? throw new ProtocolException($"expected Hello, got {first.GetType().Name}");
        var version = Math.Min(hello.ProtocolVersion, ProtocolConstants.Version);
        if (version < Math.Max(hello.MinProtocolVersion, ProtocolConstants.MinVersion))
        {
            var message = $"no common protocol version: the peer speaks {hello.MinProtocolVersion}..{hello.ProtocolVersion}, this receiver {ProtocolConstants.MinVersion}..{ProtocolConstants.Version}";
            await connection.SendControlAsync(new ErrorMessage { Code = ErrorCode.UnsupportedVersion, Message = message }, cancellationToken).ConfigureAwait(false);
            throw new ProtocolException(message);
        }

        var shared = (hello.Capabilities ?? []).Intersect(OurCapabilities, StringComparer.Ordinal).ToArray();
        await connection.SendControlAsync(new HelloReply { ProtocolVersion = version, Software = Software, Capabilities = shared }, cancellationToken).ConfigureAwait(false);
        return ([.. shared], null);
    }
}
