using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

using PeerFlow.Transports;

namespace PeerFlow.Security;

/// <summary>
/// TLS 1.3 with both sides presenting their <see cref="PeerIdentity"/> certificate, over any stream transport (the
/// way Kestrel layers HTTPS over its transports). Certificates are never validated against a CA: each side computes
/// the other's <see cref="PeerId"/> from the key it proved it holds, and the sender compares it with the ID it was
/// told to expect. Whether the receiver trusts the sender is decided after the handshake, inside the encrypted
/// channel, so a refused sender can be told which ID it presented and how to get it trusted.
/// </summary>
public static class TlsLayer
{
    /// <summary>The ALPN protocol name of PeerFlow over TLS.</summary>
    public const string ApplicationProtocol = "peerflow/1";

    /// <summary>The first byte of a TLS handshake record; a plaintext PeerFlow peer starts with 'P' (its preface).</summary>
    public const byte HandshakeRecordType = 0x16;

    /// <summary>
    /// Connects over <paramref name="transport"/> and runs the TLS handshake on the new connection, which is disposed
    /// if the handshake fails. <see cref="RemoteId"/> of the result says whom it reached.
    /// </summary>
    public static ValueTask<ITransportConnection> ConnectAsync(ITransportFactory transport, EndPoint endPoint, PeerIdentity identity, PeerId? expected, TransportOptions? options, CancellationToken cancellationToken)
        => ConnectAsync(transport, endPoint, Task.FromResult(identity), expected, options, cancellationToken);

    /// <inheritdoc cref="ConnectAsync(ITransportFactory, EndPoint, PeerIdentity, PeerId?, TransportOptions?, CancellationToken)"/>
    /// <remarks>The identity may still be loading: the transport connects meanwhile.</remarks>
    public static async ValueTask<ITransportConnection> ConnectAsync(ITransportFactory transport, EndPoint endPoint, Task<PeerIdentity> identity, PeerId? expected, TransportOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(identity);
        if (SecuresItself(transport))
        {
            // QUIC: the transport runs TLS with our certificate; only the peer's ID is left to check.
            var secured = await transport.ConnectAsync(endPoint, WithCertificate(options, (await identity.ConfigureAwait(false)).Certificate), cancellationToken).ConfigureAwait(false);
            if (expected is { } wanted && RemoteId(secured) is var presented && presented != wanted)
            {
                await secured.DisposeAsync().ConfigureAwait(false);
                throw Mismatch(presented, wanted);
            }

            return secured;
        }

        var inner = await transport.ConnectAsync(endPoint, options, cancellationToken).ConfigureAwait(false);
        try
        {
            return await ConnectAsync(inner, await identity.ConfigureAwait(false), expected, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Whether <paramref name="transport"/> runs TLS by itself (QUIC): it gets our certificate, and reports the peer's.</summary>
    public static bool SecuresItself(ITransportFactory transport)
        => (transport.Capabilities & (TransportCapabilities.Encrypted | TransportCapabilities.InProcess)) == TransportCapabilities.Encrypted;

    /// <summary>Whether peers on <paramref name="transport"/> authenticate with their identity: every transport that leaves the process.</summary>
    public static bool UsesIdentity(ITransportFactory transport) => (transport.Capabilities & TransportCapabilities.InProcess) == 0;

    /// <summary><paramref name="options"/> with <paramref name="certificate"/> for a transport that secures itself.</summary>
    public static TransportOptions WithCertificate(TransportOptions? options, X509Certificate2 certificate)
        => options is null
            ? new TransportOptions { Certificate = certificate }
            : new TransportOptions(options.Values) { Certificate = certificate, ConnectTimeout = options.ConnectTimeout };

    /// <summary>Whether connections of <paramref name="transport"/> need this layer: not when it encrypts by itself or never leaves the process.</summary>
    public static bool IsNeededFor(ITransportFactory transport)
        => (transport.Capabilities & (TransportCapabilities.Encrypted | TransportCapabilities.InProcess)) == 0;

    /// <summary>Connecting side. Fails with <see cref="PeerIdentityException"/> when the peer is not <paramref name="expected"/>.</summary>
    public static async Task<ITransportConnection> ConnectAsync(ITransportConnection inner, PeerIdentity identity, PeerId? expected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(identity);
        PeerId? presented = null;
        var tls = new SslStream(new DuplexPipeStream(inner.Transport), leaveInnerStreamOpen: true, (_, certificate, _, _) =>
        {
            presented = IdOf(certificate);
            return presented is not null && (expected is null || presented == expected);
        });
        Diagnostics.PhaseTrace.Mark("tls started");
        try
        {
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = "peerflow",
                    ClientCertificateContext = identity.CertificateContext,
                    CertificateChainPolicy = PinnedOnly(),
                    EnabledSslProtocols = SslProtocols.Tls13,
                    ApplicationProtocols = [new SslApplicationProtocol(ApplicationProtocol)],
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (AuthenticationException ex)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            if (presented is { } id && expected is { } wanted && id != wanted)
            {
                throw Mismatch(id, wanted);
            }

            throw HandshakeFailed(ex);
        }

        Diagnostics.PhaseTrace.Mark("tls done");
        return new SecureConnection(inner, tls, presented!.Value);
    }

    /// <summary>Listening side: completes the handshake with any certificate-holding peer; check <see cref="RemoteId"/> before trusting it.</summary>
    public static async Task<ITransportConnection> AcceptAsync(ITransportConnection inner, PeerIdentity identity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(identity);
        PeerId? presented = null;
        var tls = new SslStream(new DuplexPipeStream(inner.Transport), leaveInnerStreamOpen: true, (_, certificate, _, _) =>
        {
            presented = IdOf(certificate);
            return presented is not null;
        });
        try
        {
            await tls.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = identity.CertificateContext,
                    CertificateChainPolicy = PinnedOnly(),
                    ClientCertificateRequired = true,
                    EnabledSslProtocols = SslProtocols.Tls13,
                    ApplicationProtocols = [new SslApplicationProtocol(ApplicationProtocol)],
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (AuthenticationException ex)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw HandshakeFailed(ex);
        }

        return new SecureConnection(inner, tls, presented!.Value);
    }

    /// <summary>
    /// The peer's certificate is judged by its ID alone, never by a CA: a chain policy that trusts no root, so that
    /// validating it does not load the system's CA store (or fetch anything).
    /// </summary>
    private static X509ChainPolicy PinnedOnly() => new()
    {
        TrustMode = X509ChainTrustMode.CustomRootTrust,
        RevocationMode = X509RevocationMode.NoCheck,
        DisableCertificateDownloads = true,
    };

    private static PeerId? IdOf(X509Certificate? certificate)
        => certificate is null ? null : PeerId.Of(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));

    private static TransportException HandshakeFailed(AuthenticationException ex)
        => new(TransportError.ConnectionReset, $"the TLS handshake failed: {ex.Message}", ex);

    private static PeerIdentityException Mismatch(PeerId? presented, PeerId wanted)
        => presented is { } id
            ? new PeerIdentityException($"the receiver presented peer ID {id}, but {wanted} was expected (--peer): it is another machine, or someone in between; not connecting. Only if you know the receiver's identity changed, use --peer {id}", id)
            : new PeerIdentityException($"the receiver presented no certificate, but {wanted} was expected (--peer); not connecting", wanted);

    /// <summary>The peer's ID on a connection made by this class or by a transport that secures itself; null on any other connection.</summary>
    public static PeerId? RemoteId(ITransportConnection connection) => connection switch
    {
        SecureConnection secure => secure.RemoteId,
        IAuthenticatedConnection authenticated => IdOf(authenticated.RemoteCertificate),
        _ => null,
    };
}

/// <summary>A peer is not who it was expected or trusted to be.</summary>
public sealed class PeerIdentityException(string message, PeerId presented) : Exception(message)
{
    public PeerId Presented { get; } = presented;
}
