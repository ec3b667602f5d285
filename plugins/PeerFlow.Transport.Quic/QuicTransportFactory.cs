using System.Net;
using System.Net.Quic;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PeerFlow.Transports.Quic;

/// <summary>
/// QUIC over UDP (System.Net.Quic, which needs libmsquic 2.x on Linux). One QUIC connection per transfer: its
/// first stream is the transfer's main connection, further streams carry extra data. QUIC always runs TLS 1.3:
/// each side presents the certificate of <see cref="TransportOptions.Certificate"/> (a throwaway one without it),
/// accepts any certificate from the peer, and reports it (<see cref="IAuthenticatedConnection"/>) for the engine to
/// decide by peer ID. ALPN <c>peerflow/1</c>.
/// </summary>
public sealed class QuicTransportFactory : ITransportFactory
{
    /// <summary>What the CLI shows where QUIC cannot run.</summary>
    public const string NotAvailable = "QUIC is not available on this machine: install libmsquic 2.x (see README: QUIC)";

    internal static readonly SslApplicationProtocol Alpn = new("peerflow/1");

    private static readonly Lazy<X509Certificate2> Throwaway = new(CreateThrowaway);

    public string Name => "quic";

    public TransportCapabilities Capabilities => TransportCapabilities.Multiplexed | TransportCapabilities.Encrypted;

    /// <summary>Whether this machine can run QUIC (libmsquic found and usable).</summary>
    public static bool IsSupported => QuicListener.IsSupported && QuicConnection.IsSupported;

    public async ValueTask<ITransportListener> BindAsync(EndPoint endPoint, TransportOptions? options = null, CancellationToken cancellationToken = default)
    {
        EnsureSupported();
        var settings = QuicSettings.From(options);
        var certificate = options?.Certificate ?? Throwaway.Value;
        var listenerOptions = new QuicListenerOptions
        {
            ListenEndPoint = ToIp(endPoint),
            ApplicationProtocols = [Alpn],
            ListenBacklog = 64,
            ConnectionOptionsCallback = (_, _, _) => ValueTask.FromResult(settings.Apply(new QuicServerConnectionOptions
            {
                DefaultStreamErrorCode = QuicErrors.StreamAborted,
                DefaultCloseErrorCode = QuicErrors.ConnectionAborted,
                ServerAuthenticationOptions = new SslServerAuthenticationOptions
                {
                    ApplicationProtocols = [Alpn],
                    ServerCertificate = certificate,
                    ClientCertificateRequired = true,
                    // Any certificate: the engine decides by the peer ID it derives from it.
                    RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null,
                },
            })),
        };

        try
        {
            var listener = await QuicListener.ListenAsync(listenerOptions, cancellationToken).ConfigureAwait(false);
            return new QuicTransportListener(listener);
        }
        catch (QuicException ex)
        {
            throw QuicErrors.Translate(ex, $"cannot listen on {endPoint}");
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw QuicErrors.Translate(ex, $"cannot listen on {endPoint}");
        }
    }

    public async ValueTask<ITransportConnection> ConnectAsync(EndPoint endPoint, TransportOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new TransportOptions();
        EnsureSupported();
        var settings = QuicSettings.From(options);
        var certificate = options.Certificate ?? Throwaway.Value;
        var connectionOptions = settings.Apply(new QuicClientConnectionOptions
        {
            RemoteEndPoint = endPoint,
            DefaultStreamErrorCode = QuicErrors.StreamAborted,
            DefaultCloseErrorCode = QuicErrors.ConnectionAborted,
            ClientAuthenticationOptions = new SslClientAuthenticationOptions
            {
                ApplicationProtocols = [Alpn],
                TargetHost = "peerflow",
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null,
            },
        });

        var connectTimeout = options.ConnectTimeout;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(connectTimeout);
        QuicConnection? connection = null;
        try
        {
            connection = await QuicConnection.ConnectAsync(connectionOptions, timeout.Token).ConfigureAwait(false);
            var first = await QuicErrors.OpenAsync(connection, timeout.Token).ConfigureAwait(false);
            return new QuicTransportConnection(connection, new QuicStreamConnection(first, connection));
        }
        catch (Exception ex) when (ex is QuicException or AuthenticationException or System.Net.Sockets.SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            throw ex switch
            {
                QuicException quic => QuicErrors.Translate(quic, $"cannot connect to {endPoint}"),
                // An ICMP "port unreachable" is how UDP says nothing listens there: QUIC's connection refused.
                System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.HostUnreachable or System.Net.Sockets.SocketError.ConnectionRefused } socket
                    => new TransportException(TransportError.ConnectionRefused, $"cannot connect to {endPoint}: refused or unreachable (nothing listening there?)", socket),
                System.Net.Sockets.SocketException socket => QuicErrors.Translate(socket, $"cannot connect to {endPoint}"),
                AuthenticationException => new TransportException(TransportError.ConnectionRefused, $"cannot connect to {endPoint}: the QUIC handshake failed ({ex.Message})", ex),
                _ => new TransportException(TransportError.TimedOut, $"cannot connect to {endPoint}: no answer within {connectTimeout.TotalSeconds:0.#} s"),
            };
        }
    }

    private static void EnsureSupported()
    {
        if (!IsSupported)
        {
            throw new TransportException(TransportError.EndPointNotSupported, NotAvailable);
        }
    }

    private static IPEndPoint ToIp(EndPoint endPoint) => endPoint as IPEndPoint
        ?? throw new TransportException(TransportError.EndPointNotSupported, $"QUIC listens on an IP address and port, not '{endPoint}'");

    private static X509Certificate2 CreateThrowaway()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=peerflow", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
        // Through PKCS#12 so the key is usable by the TLS library on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
