using PeerFlow.Protocol;
using PeerFlow.Protocol.Framing;
using PeerFlow.Protocol.Messages;
using PeerFlow.Session;

namespace PeerFlow.Transfers;

/// <summary>The versioned handshake both sides run before anything else.</summary>
internal static class Handshake
{
    public static string Software { get; } = "PeerFlow/" + (typeof(Handshake).Assembly.GetName().Version?.ToString(3) ?? "0");

    private static readonly string[] OurCapabilities = [ProtocolConstants.CapabilityLz4, ProtocolConstants.CapabilityResume, ProtocolConstants.CapabilitySymlinks];

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

    /// <summary>Listening side: the peer's preface + Hello, then ours + HelloReply. Returns the shared capabilities.</summary>
    public static async Task<HashSet<string>> AcceptAsync(FrameConnection connection, CancellationToken cancellationToken)
    {
        await connection.ReadPrefaceAsync(cancellationToken).ConfigureAwait(false);
        // The peer speaks PeerFlow: from here on it gets our preface and, if anything goes wrong, a reason.
        connection.WritePreface();
        var hello = await connection.ReadControlAsync<Hello>(cancellationToken).ConfigureAwait(false);
        var version = Math.Min(hello.ProtocolVersion, ProtocolConstants.Version);
        if (version < Math.Max(hello.MinProtocolVersion, ProtocolConstants.MinVersion))
        {
            var message = $"no common protocol version: the peer speaks {hello.MinProtocolVersion}..{hello.ProtocolVersion}, this receiver {ProtocolConstants.MinVersion}..{ProtocolConstants.Version}";
            await connection.SendControlAsync(new ErrorMessage { Code = ErrorCode.UnsupportedVersion, Message = message }, cancellationToken).ConfigureAwait(false);
            throw new ProtocolException(message);
        }

        var shared = (hello.Capabilities ?? []).Intersect(OurCapabilities, StringComparer.Ordinal).ToArray();
        await connection.SendControlAsync(new HelloReply { ProtocolVersion = version, Software = Software, Capabilities = shared }, cancellationToken).ConfigureAwait(false);
        return [.. shared];
    }
}
