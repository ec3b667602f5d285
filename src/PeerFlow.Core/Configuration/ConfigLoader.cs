using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PeerFlow.Configuration;

/// <summary>
/// Reads a configuration file strictly: every problem — malformed JSON, an unknown property, a wrong type, a value
/// out of range or not among those allowed — is reported with the file, line and property, all at once, and none is
/// ignored. Comments and trailing commas are allowed.
/// </summary>
public static class ConfigLoader
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Loads <paramref name="path"/>.</summary>
    /// <exception cref="ConfigException">The file is missing, unreadable or invalid; the message lists every problem.</exception>
    public static PeerFlowConfig Load(string path)
    {
        var (config, errors) = Validate(path);
        return errors.Count == 0 ? config! : throw new ConfigException(errors);
    }

    /// <summary>Checks <paramref name="path"/>: the configuration when it is valid, and every problem found.</summary>
    public static (PeerFlowConfig? Config, IReadOnlyList<ConfigError> Errors) Validate(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, [new ConfigError(path, 0, "", $"cannot read the file: {ex.Message}")]);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, DocumentOptions);
        }
        catch (JsonException ex)
        {
            return (null, [new ConfigError(path, (int)(ex.LineNumber ?? 0) + 1, "", $"not valid JSON: {FirstSentence(ex.Message)}")]);
        }

        using (document)
        {
            var lines = JsonLines.Of(bytes, DocumentOptions);
            var errors = new List<ConfigError>();
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new ConfigError(path, 1, "", "the file must hold one JSON object"));
                return (null, errors);
            }

            Check(document.RootElement, typeof(PeerFlowConfig), "", path, lines, errors);
            if (document.RootElement.TryGetProperty("jobs", out var jobs) && jobs.ValueKind == JsonValueKind.Array)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                var index = 0;
                foreach (var job in jobs.EnumerateArray())
                {
                    if (job.ValueKind == JsonValueKind.Object && job.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String && !seen.Add(name.GetString()!))
                    {
                        errors.Add(new ConfigError(path, lines.LineOf($"jobs[{index}].name"), $"jobs[{index}].name", $"another job is already named '{name.GetString()}'"));
                    }

                    index++;
                }
            }

            if (errors.Count > 0)
            {
                return (null, errors);
            }

            return (document.RootElement.Deserialize<PeerFlowConfig>(Json), errors);
        }
    }

    private static void Check(JsonElement element, Type type, string at, string file, JsonLines lines, List<ConfigError> errors)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).ToDictionary(JsonName, StringComparer.Ordinal);
        foreach (var member in element.EnumerateObject())
        {
            var path = at.Length == 0 ? member.Name : $"{at}.{member.Name}";
            if (!properties.TryGetValue(member.Name, out var property))
            {
                var allowed = string.Join(", ", properties.Keys.Where(k => k != "$schema"));
                errors.Add(new ConfigError(file, lines.LineOf(path), path, $"unknown property; allowed here: {allowed}"));
                continue;
            }

            CheckValue(member.Value, property.PropertyType, property, path, file, lines, errors);
        }

        foreach (var (name, property) in properties.Where(p => p.Value.GetCustomAttribute<RequiredAttribute>() is not null))
        {
            if (!element.TryGetProperty(name, out var present) || present.ValueKind == JsonValueKind.Null)
            {
                errors.Add(new ConfigError(file, lines.LineOf(at), at.Length == 0 ? name : $"{at}.{name}", "is required"));
            }
        }
    }

    private static void CheckValue(JsonElement value, Type type, PropertyInfo? property, string path, string file, JsonLines lines, List<ConfigError> errors)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        var line = lines.LineOf(path);
        type = Nullable.GetUnderlyingType(type) ?? type;
        object? parsed = null;
        string? wrong = null;
        if (type == typeof(string))
        {
            parsed = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            wrong = parsed is null ? "must be a string" : null;
        }
        else if (type == typeof(bool))
        {
            wrong = value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : "must be true or false";
        }
        else if (type == typeof(int) || type == typeof(long))
        {
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) && (type == typeof(long) || number is >= int.MinValue and <= int.MaxValue))
            {
                parsed = number;
            }
            else
            {
                wrong = "must be a whole number";
            }
        }
        else if (type == typeof(double))
        {
            parsed = value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
            wrong = parsed is null ? "must be a number" : null;
        }
        else if (type == typeof(Dictionary<string, string>))
        {
            if (value.ValueKind != JsonValueKind.Object)
            {
                wrong = "must be an object of names to text values";
            }
            else
            {
                foreach (var entry in value.EnumerateObject().Where(e => e.Value.ValueKind != JsonValueKind.String))
                {
                    errors.Add(new ConfigError(file, lines.LineOf($"{path}.{entry.Name}"), $"{path}.{entry.Name}", "must be a string (write numbers and switches as text, e.g. \"65536\")"));
                }
            }
        }
        else if (type == typeof(List<string>))
        {
            if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
            {
                wrong = "must be an array of strings";
            }
            else
            {
                parsed = value.EnumerateArray().Select(v => v.GetString()!).ToList();
            }
        }
        else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            if (value.ValueKind != JsonValueKind.Array)
            {
                wrong = "must be an array";
            }
            else
            {
                var item = type.GetGenericArguments()[0];
                var index = 0;
                foreach (var element in value.EnumerateArray())
                {
                    CheckValue(element, item, null, $"{path}[{index++}]", file, lines, errors);
                }

                return;
            }
        }
        else if (value.ValueKind != JsonValueKind.Object)
        {
            wrong = "must be an object";
        }
        else
        {
            Check(value, type, path, file, lines, errors);
            return;
        }

        if (wrong is not null)
        {
            errors.Add(new ConfigError(file, line, path, $"{wrong}, not {Describe(value)}"));
            return;
        }

        if (property is not null && parsed is not null && Rule(property, parsed) is { } broken)
        {
            errors.Add(new ConfigError(file, line, path, broken));
        }
    }

    /// <summary>The first validation attribute of <paramref name="property"/> that <paramref name="value"/> breaks, as a sentence.</summary>
    private static string? Rule(PropertyInfo property, object value)
    {
        foreach (var attribute in property.GetCustomAttributes<ValidationAttribute>())
        {
            var candidate = attribute is RangeAttribute { OperandType: var operand } && operand == typeof(long) ? value : Convert(value, property);
            if (attribute.IsValid(candidate))
            {
                continue;
            }

            return attribute switch
            {
                RangeAttribute range => $"must be between {range.Minimum} and {Maximum(range)}, not {Format(value)}",
                AllowedValuesAttribute allowed => $"must be one of {string.Join(", ", allowed.Values.Select(v => $"'{v}'"))}, not {Format(value)}",
                RegularExpressionAttribute => $"{Format(value)} is not {Expected(property)}",
                MinLengthAttribute => "must not be empty",
                _ => attribute.FormatErrorMessage(property.Name),
            };
        }

        if (property.Name is nameof(PipelineConfig.CompressionLevel) && value is long level and (1 or 2))
        {
            return $"LZ4 has levels 0 (fast) and 3 to 12 (high compression), not {level}";
        }

        if (property.Name is nameof(SendConfig.Peer) && value is string id && !Security.PeerId.TryParse(id, out _))
        {
            return $"{Format(value)} is not a peer ID (32 base32 characters, as 'peerflow id' prints it)";
        }

        if (property.Name is nameof(ReceiveConfig.Trust) && value is List<string> ids && ids.FirstOrDefault(i => !Security.PeerId.TryParse(i, out _)) is { } bad)
        {
            return $"'{bad}' is not a peer ID (32 base32 characters, as 'peerflow id' prints it)";
        }

        return null;
    }

    private static object Convert(object value, PropertyInfo property)
        => value is long number && (Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType) == typeof(int) ? (int)number : value;

    private static string Maximum(RangeAttribute range)
        => range.Maximum is string text && text == long.MaxValue.ToString(CultureInfo.InvariantCulture) ? "any" : System.Convert.ToString(range.Maximum, CultureInfo.InvariantCulture)!;

    private static string Expected(PropertyInfo property) => property.Name switch
    {
        nameof(PipelineConfig.ChunkSize) => "'auto' or a size such as 256K, 1M",
        nameof(PipelineConfig.BandwidthLimit) => "a rate in bytes per second such as 500K, 10M",
        nameof(PipelineConfig.RawBelow) => "a size such as 512, 64K",
        nameof(TransportConfig.Name) => "a transport name (letters, digits, '.', '_', '-')",
        nameof(SendConfig.Peer) => "a peer ID (32 base32 characters, as 'peerflow id' prints it)",
        _ => "in the expected form",
    };

    private static string Format(object value) => value switch
    {
        string text => $"'{text}'",
        double number => number.ToString(CultureInfo.InvariantCulture),
        IEnumerable list => $"[{string.Join(", ", list.Cast<object>())}]",
        _ => System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "?",
    };

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{value.GetString()}\"",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };

    internal static string JsonName(PropertyInfo property)
        => property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(property.Name);

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }
}

/// <summary>One problem in a configuration file.</summary>
public sealed record ConfigError(string File, int Line, string Property, string Message)
{
    public override string ToString()
        => Property.Length == 0 ? $"{File}:{Line}: {Message}" : $"{File}:{Line}: {Property}: {Message}";
}

/// <summary>A configuration file that cannot be used; <see cref="Exception.Message"/> lists every problem, one per line.</summary>
public sealed class ConfigException(IReadOnlyList<ConfigError> errors) : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}
