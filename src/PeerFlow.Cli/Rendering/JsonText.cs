using System.Text;
using System.Text.Json;

namespace PeerFlow.Cli.Rendering;

/// <summary>One JSON object as a string, written with <see cref="Utf8JsonWriter"/> (no reflection, no source generation).</summary>
internal static class JsonText
{
    public static string Object(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
