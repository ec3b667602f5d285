using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;

namespace PeerFlow.Configuration;

/// <summary>
/// The JSON schema of <see cref="PeerFlowConfig"/>, made from the model itself (System.Text.Json's schema exporter,
/// plus the descriptions, ranges, allowed values and patterns the loader enforces), so the published schema
/// (<c>config/schema/peerflow.schema.json</c>, checked by a test) cannot drift from what PeerFlow accepts.
/// </summary>
public static class ConfigSchema
{
    public static string Text()
    {
        var schema = JsonSchemaExporter.GetJsonSchemaAsNode(ConfigLoader.Json, typeof(PeerFlowConfig), new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = false,
            TransformSchemaNode = Annotate,
        });
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = "PeerFlow configuration",
        };
        foreach (var (name, value) in schema.AsObject().ToList())
        {
            schema.AsObject().Remove(name);
            root[name] = value;
        }

        root["type"] = "object";
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    private static JsonNode Annotate(JsonSchemaExporterContext context, JsonNode schema)
    {
        if (schema is not JsonObject node)
        {
            return schema;
        }

        var attributes = context.PropertyInfo?.AttributeProvider ?? context.TypeInfo.Type;
        if (attributes.GetCustomAttributes(typeof(DescriptionAttribute), false).FirstOrDefault() is DescriptionAttribute description)
        {
            node.Insert(0, "description", description.Description);
        }

        foreach (var attribute in attributes.GetCustomAttributes(typeof(ValidationAttribute), false))
        {
            switch (attribute)
            {
                case RangeAttribute range:
                    node["minimum"] = Number(range.Minimum);
                    if (!(range.Maximum is string max && max == long.MaxValue.ToString(CultureInfo.InvariantCulture)))
                    {
                        node["maximum"] = Number(range.Maximum);
                    }

                    break;
                case AllowedValuesAttribute allowed:
                    node["enum"] = new JsonArray([.. allowed.Values.Select(v => JsonValue.Create(v?.ToString())), null]);
                    break;
                case RegularExpressionAttribute pattern:
                    node["pattern"] = pattern.Pattern;
                    break;
                case MinLengthAttribute length:
                    node["minLength"] = length.Length;
                    break;
            }
        }

        return node;
    }

    private static JsonNode Number(object value) => value switch
    {
        int number => JsonValue.Create(number),
        double number => JsonValue.Create(number),
        string text => JsonValue.Create(long.Parse(text, CultureInfo.InvariantCulture)),
        _ => JsonValue.Create(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
    };
}
