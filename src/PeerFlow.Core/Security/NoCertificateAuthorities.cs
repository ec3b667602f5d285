using System.Runtime.InteropServices;

namespace PeerFlow.Security;

/// <summary>
/// PeerFlow trusts peers by their pinned IDs and never by a certificate authority, yet on Linux .NET builds a chain
/// for our own certificate before presenting it, and building any chain reads the whole system CA store: about 150
/// files, measured at 80 ms of a sender's start-up, which a short sync waits for before its TLS handshake. Pointing
/// OpenSSL's CA locations (<c>SSL_CERT_FILE</c>, <c>SSL_CERT_DIR</c>) at nothing, for this process only, skips that.
/// </summary>
/// <remarks>
/// Changes the native environment, so it is done first thing in <c>Main</c>, before PeerFlow starts any thread (the
/// C library's environment is not safe to change while another thread reads it). It applies even where the user has
/// set these variables: nothing in PeerFlow verifies against a CA, and it starts no child processes.
/// </remarks>
public static partial class NoCertificateAuthorities
{
    private const string Nowhere = "/nonexistent/peerflow-trusts-no-ca";

    /// <summary>Applies it on Linux; does nothing elsewhere.</summary>
    public static void Apply()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            _ = SetEnvironment("SSL_CERT_FILE", Nowhere, 1);
            _ = SetEnvironment("SSL_CERT_DIR", Nowhere, 1);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Only an optimisation.
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);
}
