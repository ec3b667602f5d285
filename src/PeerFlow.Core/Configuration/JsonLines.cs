using System.Text;
using System.Text.Json;

namespace PeerFlow.Configuration;

/// <summary>
/// The line (1-based) where each property and array element of a JSON document starts, by path:
/// <c>pipeline.readers</c>, <c>jobs[1].name</c>.
/// </summary>
internal sealed class JsonLines
{
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);

    private sealed class Frame(bool isArray)
    {
        public bool IsArray { get; } = isArray;

        public int Index { get; set; } = -1;

        public string? Property { get; set; }
    }

    public static JsonLines Of(ReadOnlySpan<byte> json, JsonDocumentOptions options)
    {
        var result = new JsonLines();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = options.CommentHandling, AllowTrailingCommas = options.AllowTrailingCommas });
        var frames = new List<Frame>();
        int newlines = 0, counted = 0;
        while (reader.Read())
        {
            var start = (int)reader.TokenStartIndex;
            newlines += json[counted..start].Count((byte)'\n');
            counted = start;
            var parent = frames.Count > 0 ? frames[^1] : null;
            if (parent is { IsArray: true } && reader.TokenType is not (JsonTokenType.EndArray or JsonTokenType.Comment))
            {
                parent.Index++;
                result._lines.TryAdd(PathOf(frames), newlines + 1);
            }

            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    parent!.Property = reader.GetString();
                    result._lines.TryAdd(PathOf(frames), newlines + 1);
                    break;
                case JsonTokenType.StartObject:
                    frames.Add(new Frame(isArray: false));
                    break;
                case JsonTokenType.StartArray:
                    frames.Add(new Frame(isArray: true));
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    frames.RemoveAt(frames.Count - 1);
                    break;
            }
        }

        return result;
    }

    private static string PathOf(List<Frame> frames)
    {
        var path = new StringBuilder();
        foreach (var frame in frames)
        {
            if (frame.IsArray)
            {
                path.Append('[').Append(frame.Index).Append(']');
            }
            else if (frame.Property is not null)
            {
                if (path.Length > 0)
                {
                    path.Append('.');
                }

                path.Append(frame.Property);
            }
        }

        return path.ToString();
    }

    /// <summary>The line of <paramref name="path"/>, or of its nearest parent that has one; 1 when nothing matches.</summary>
    public int LineOf(string path)
    {
        for (var candidate = path; candidate.Length > 0; candidate = candidate[..Math.Max(0, candidate.LastIndexOfAny(['.', '[']))])
        {
            if (_lines.TryGetValue(candidate, out var line))
            {
                return line;
            }
        }

        return 1;
    }
}
