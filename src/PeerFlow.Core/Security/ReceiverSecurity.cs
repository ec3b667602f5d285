using PeerFlow.Transfers;
using PeerFlow.Transports;

namespace PeerFlow.Security;

/// <summary>
/// The receiving side's admission: with an identity, a connection that starts with a TLS handshake is wrapped in
/// TLS; after the PeerFlow handshake the peer's ID must be trusted (this installation's own ID always is), and a
/// plaintext peer is refused unless plaintext was allowed. Refusals name the presented ID and how to trust it.
/// </summary>
internal static class ReceiverSecurity
{
    /// <summary>Wraps <paramref name="connection"/> in TLS when the receiver has an identity and the peer starts a TLS handshake.</summary>
    public static async Task<ITransportConnection> AcceptAsync(ITransportConnection connection, ReceiveOptions options, CancellationToken cancellationToken)
    {
        if (options.Identity is null)
        {
            return connection;
        }

        // Peek at the first byte without consuming it: 0x16 opens a TLS handshake, 'P' the plaintext preface.
        var input = connection.Transport.Input;
        var result = await input.ReadAtLeastAsync(1, cancellationToken).ConfigureAwait(false);
        var first = result.Buffer.IsEmpty ? (byte)0 : result.Buffer.FirstSpan[0];
        input.AdvanceTo(result.Buffer.Start);
        return first == TlsLayer.HandshakeRecordType
            ? await TlsLayer.AcceptAsync(connection, options.Identity, cancellationToken).ConfigureAwait(false)
            : connection;
    }

    /// <summary>Why this peer may not send here, or null.</summary>
    public static string? Refusal(ITransportConnection connection, ReceiveOptions options)
    {
        if (options.Identity is null || options.AllowPlaintext)
        {
            return null;
        }

        if (TlsLayer.RemoteId(connection) is not { } id)
        {
            return "this receiver accepts only encrypted, authenticated connections; the sender used plaintext (--insecure)";
        }

        return id == options.Identity.Id || options.TrustedPeers.Contains(id) || options.IsTrusted?.Invoke(id) == true
            ? null
            : $"this receiver does not trust peer ID {id}; to allow it, run the receiver with --trust {id}";
    }
}
