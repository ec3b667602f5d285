using System.Security.Cryptography.X509Certificates;

namespace PeerFlow.Transports;

/// <summary>
/// Transport-specific settings passed through from configuration unchanged. Keys are case-insensitive; the
/// transport documents the keys it understands and rejects values it cannot use with an <see cref="ArgumentException"/>.
/// </summary>
public sealed class TransportOptions
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>An empty set of options.</summary>
    public TransportOptions()
    {
    }

    /// <summary>Options copied from <paramref name="values"/>.</summary>
    public TransportOptions(IEnumerable<KeyValuePair<string, string>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (var (key, value) in values)
        {
            _values[key] = value;
        }
    }

    /// <summary>How long an outbound connection attempt may take before it fails with <see cref="TransportError.TimedOut"/>.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// For transports that encrypt by themselves (<see cref="TransportCapabilities.Encrypted"/>, e.g. QUIC): this
    /// peer's certificate, with its private key, to present in the handshake. The engine decides whom to trust from
    /// the certificate the peer presents (<see cref="IAuthenticatedConnection.RemoteCertificate"/>), so the transport
    /// accepts any certificate and must not validate it against a CA. Null: the transport may make a throwaway one.
    /// </summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>The pass-through values.</summary>
    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>Sets a pass-through value.</summary>
    public TransportOptions Set(string key, string value)
    {
        _values[key] = value;
        return this;
    }

    /// <summary>Reads an integer option, or <paramref name="defaultValue"/> when absent.</summary>
    /// <exception cref="ArgumentException">The value is present but not an integer in range.</exception>
    public int GetInt32(string key, int defaultValue, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!_values.TryGetValue(key, out var text))
        {
            return defaultValue;
        }

        if (!int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new ArgumentException($"transport option '{key}' must be an integer between {min} and {max}, not '{text}'", nameof(key));
        }

        return value;
    }
}
