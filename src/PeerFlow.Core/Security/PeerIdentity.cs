using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PeerFlow.Security;

/// <summary>
/// This installation's identity: an ECDSA P-256 key pair and a self-signed certificate, kept in the PeerFlow home
/// directory (<c>identity.key</c>, readable by the owner only, and <c>identity.crt</c>), created on first use.
/// </summary>
public sealed class PeerIdentity : IDisposable
{
    public const string HomeVariable = "PEERFLOW_HOME";
    private const string KeyFile = "identity.key";
    private const string CertificateFile = "identity.crt";

    private static EarlyLoad? s_early;

    private readonly Lazy<SslStreamCertificateContext> _context;

    private PeerIdentity(X509Certificate2 certificate, bool created, string directory)
    {
        Certificate = certificate;
        _context = new(() => SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true));
        Id = PeerId.Of(certificate);
        Created = created;
        Directory = directory;
    }

    /// <summary>The certificate, with its private key, to present in TLS.</summary>
    public X509Certificate2 Certificate { get; }

    public PeerId Id { get; }

    /// <summary>
    /// The certificate as TLS presents it, made once. Making it builds a certificate chain, which on Linux loads the
    /// whole system CA store (~0.1-0.2 s) although PeerFlow trusts no CA: touch it early, off the critical path.
    /// </summary>
    public SslStreamCertificateContext CertificateContext => _context.Value;

    /// <summary>This call created the identity (first use).</summary>
    public bool Created { get; }

    /// <summary>Where the identity is kept.</summary>
    public string Directory { get; }

    /// <summary>The PeerFlow home: <c>$PEERFLOW_HOME</c>, else <c>peerflow</c> in the user's configuration directory.</summary>
    public static string DefaultHome()
        => Environment.GetEnvironmentVariable(HomeVariable) is { Length: > 0 } home
            ? home
            : Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.Create), "peerflow");

    /// <summary>
    /// Loads the identity kept in <paramref name="home"/>, creating it there if there is none. Safe when several
    /// processes start at once on a fresh home (a receiver and its sender): the key is put in place with an atomic,
    /// no-overwrite move, so exactly one of them creates it and the others load that one. A missing certificate is
    /// made again from the key (the peer ID, a hash of the key, stays the same).
    /// </summary>
    /// <exception cref="IOException">The files exist but cannot be read, or the key is not private to its owner.</exception>
    public static PeerIdentity LoadOrCreate(string? home = null)
    {
        home = Path.GetFullPath(home ?? DefaultHome());
        if (Interlocked.Exchange(ref s_early, null) is { } early)
        {
            if (early.Home == home && early.Loading.Wait(Timeout.Infinite) && early.Loading.Result is { } loaded)
            {
                return loaded;
            }

            // Another home, or it failed: loaded again below, where a failure is reported.
            early.Discard();
        }

        var keyPath = Path.Join(home, KeyFile);
        var certificatePath = Path.Join(home, CertificateFile);
        var created = File.Exists(keyPath) ? false : TryCreate(home, keyPath, certificatePath);
        RequirePrivate(keyPath);

        // Another process may have put the key in place a moment ago and be writing the certificate.
        for (var waited = 0; !File.Exists(certificatePath) && waited < 2000; waited += 50)
        {
            Thread.Sleep(50);
        }

        if (!File.Exists(certificatePath))
        {
            using var key = ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(keyPath));
            PlaceAtomically(certificatePath, SelfSigned(key), overwrite: true);
        }

        return new PeerIdentity(Load(certificatePath, keyPath), created, home);
    }

    /// <summary>
    /// Starts loading the identity kept in <paramref name="home"/> (and making its TLS certificate context) on a thread
    /// of its own, if there is one there; it never creates one. A command that will need the identity calls this first
    /// thing, and the next <see cref="LoadOrCreate"/> of the same home takes the result: loading is the slowest part of
    /// a TLS transfer's start-up (OpenSSL's first use). Only a head start: anything unusual is left to that call.
    /// </summary>
    public static void StartLoading(string? home)
    {
        try
        {
            var full = Path.GetFullPath(home ?? DefaultHome());
            if (!File.Exists(Path.Join(full, KeyFile)) || !File.Exists(Path.Join(full, CertificateFile)))
            {
                return;
            }

            var loading = Task.Factory.StartNew(() =>
            {
                try
                {
                    RequirePrivate(Path.Join(full, KeyFile));
                    var identity = new PeerIdentity(Load(Path.Join(full, CertificateFile), Path.Join(full, KeyFile)), created: false, full);
                    _ = identity.CertificateContext;
                    Diagnostics.PhaseTrace.Mark("identity loaded ahead");
                    return identity;
                }
                catch (Exception)
                {
                    return null;
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            Interlocked.Exchange(ref s_early, new EarlyLoad(full, loading))?.Discard();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // No head start.
        }
    }

    private sealed record EarlyLoad(string Home, Task<PeerIdentity?> Loading)
    {
        /// <summary>Not used after all: its identity is disposed once loaded.</summary>
        public void Discard() => Loading.ContinueWith(static t => t.Result?.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
    }

    private static void RequirePrivate(string keyPath)
    {
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(keyPath) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
        {
            throw new IOException($"'{keyPath}' is readable by others; PeerFlow will not use a private key that is not private (chmod 600 it)");
        }
    }

    /// <summary>Creates a key and certificate; false when another process put its key in place first.</summary>
    private static bool TryCreate(string home, string keyPath, string certificatePath)
    {
        Files.PrivateDirectory.Create(home);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var temporaryKey = keyPath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        WritePrivate(temporaryKey, key.ExportPkcs8PrivateKeyPem());
        // One atomic step (renameat2 RENAME_NOREPLACE): File.Move without overwrite checks and then renames, so two
        // processes could both "win" and leave a key that does not match the certificate written for it.
        if (!Files.FileCalls.TryRenameNoReplace(temporaryKey, keyPath))
        {
            File.Delete(temporaryKey);
            return false;
        }

        PlaceAtomically(certificatePath, SelfSigned(key), overwrite: true);
        return true;
    }

    private static string SelfSigned(ECDsa key)
    {
        var request = new CertificateRequest("CN=PeerFlow peer", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(100));
        return certificate.ExportCertificatePem();
    }

    /// <summary>Written beside and renamed into place: a reader sees the whole file or none.</summary>
    private static void PlaceAtomically(string path, string text, bool overwrite)
    {
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite);
    }

    private static X509Certificate2 Load(string certificatePath, string keyPath)
    {
        if (OperatingSystem.IsLinux() && LoadThroughOpenSsl(certificatePath, keyPath) is { } loaded)
        {
            return loaded;
        }

        // A PEM-loaded key is ephemeral. OpenSSL (Linux) uses it as it is; SChannel and Apple's TLS need a persisted
        // one, which a PKCS#12 round trip gives (~30 ms, so only where it is needed).
        var pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        if (OperatingSystem.IsLinux())
        {
            return pem;
        }

        using (pem)
        {
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
    }

    /// <summary>
    /// The certificate with its key read by OpenSSL itself (its store API, through the default provider), or null
    /// where that is not available (OpenSSL before 3) or did not work; the PEM loader then reads it as before, and
    /// reports what is wrong with it. The same key either way: OpenSSL parses the PKCS#8 file in C where .NET decodes
    /// it in managed code, which for a process that touches ASN.1 only here was ~25 ms of a TLS sync's start, spent
    /// while its handshake waits for the identity (measured with ReadyToRun: 67 -> 40 ms for certificate and key).
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    internal static X509Certificate2? LoadThroughOpenSsl(string certificatePath, string keyPath)
    {
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificateFromFile(certificatePath);
            using var handle = SafeEvpPKeyHandle.OpenKeyFromProvider("default", Path.GetFullPath(keyPath));
            using var key = new ECDsaOpenSsl(handle);
            return certificate.CopyWithPrivateKey(key);
        }
        catch (Exception ex) when (ex is CryptographicException or PlatformNotSupportedException or ArgumentException or IOException)
        {
            return null;
        }
    }

    private static void WritePrivate(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(path, options);
        writer.Write(text);
    }

    public void Dispose() => Certificate.Dispose();
}
