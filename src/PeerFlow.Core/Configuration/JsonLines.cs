using System.Text.Json;

namespace PeerFlow.Configuration;

/// <summary>The line (1-based) where each property of a JSON document is named, by dotted path (<c>pipeline.readers</c>).</summary>
internal sealed class JsonLines
{
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);

    public static JsonLines Of(ReadOnlySpan<byte> json, JsonDocumentOptions options)
    {
        var result = new JsonLines();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = options.CommentHandling, AllowTrailingCommas = options.AllowTrailingCommas });
        var path = new List<string>();
        var containers = new Stack<bool>();
        var newlines = 0;
        var counted = 0;
        while (reader.Read())
        {
            var start = (int)reader.TokenStartIndex;
            newlines += json[counted..start].Count((byte)'\n');
            counted = start;
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    var depth = containers.Count(isObject => isObject);
                    while (path.Count >= depth && path.Count > 0)
                    {
                        path.RemoveAt(path.Count - 1);
                    }

                    path.Add(reader.GetString()!);
                    result._lines.TryAdd(string.Join('.', path), newlines + 1);
                    break;
                case JsonTokenType.StartObject:
                    containers.Push(true);
                    break;
                case JsonTokenType.StartArray:
                    containers.Push(false);
                    break;
                case JsonTokenType.EndObject:
                    containers.Pop();
                    while (path.Count > containers.Count(isObject => isObject))
                    {
                        path.RemoveAt(path.Count - 1);
                    }

                    break;
                case JsonTokenType.EndArray:
                    containers.Pop();
                    break;
            }
        }

        return result;
    }

    /// <summary>The line of <paramref name="path"/>, or of its nearest named parent; 1 when nothing matches.</summary>
    public int LineOf(string path)
    {
        for (var candidate = path; candidate.Length > 0; candidate = candidate.Contains('.', StringComparison.Ordinal) ? candidate[..candidate.LastIndexOf('.')] : "")
        {
            if (_lines.TryGetValue(candidate, out var line))
            {
                return line;
            }
        }

        return 1;
    }
}
