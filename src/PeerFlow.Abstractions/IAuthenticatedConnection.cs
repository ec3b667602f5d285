using System.Security.Cryptography.X509Certificates;

namespace PeerFlow.Transports;

/// <summary>
/// A connection of a transport that encrypts and authenticates by itself (<see cref="TransportCapabilities.Encrypted"/>):
/// it tells which certificate the peer proved it holds the key of. The engine derives the peer ID from it.
/// </summary>
public interface IAuthenticatedConnection : ITransportConnection
{
    /// <summary>The certificate the peer presented in the handshake; null if it presented none.</summary>
    X509Certificate2? RemoteCertificate { get; }
}
