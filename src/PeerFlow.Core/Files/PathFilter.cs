using System.Text;
using System.Text.RegularExpressions;

namespace PeerFlow.Files;

/// <summary>
/// Which paths below a source root to leave out, with gitignore's rules: one pattern per rule; <c>#</c> starts a
/// comment line; <c>!</c> re-includes; a trailing <c>/</c> matches directories only; a pattern with a <c>/</c> at its
/// start or in its middle is anchored to the root, otherwise it matches a name at any depth; <c>*</c> and <c>?</c>
/// stay within one name, <c>**</c> spans directories, <c>[a-z]</c> is a class. The last rule that matches decides. A
/// directory that is left out is not walked, so nothing below it can be re-included (as in git).
/// </summary>
public sealed class PathFilter
{
    /// <summary>The ignore file read from the top of a directory root, if it is there.</summary>
    public const string IgnoreFileName = ".peerflowignore";

    private readonly List<Rule> _rules = [];

    private sealed record Rule(Regex Pattern, bool Negated, bool DirectoriesOnly, string Text);

    /// <summary>No rules: nothing is left out.</summary>
    public static PathFilter None { get; } = new();

    /// <summary>True when no rule was given.</summary>
    public bool IsEmpty => _rules.Count == 0;

    /// <summary>Leaves out what <paramref name="excludes"/> match unless one of <paramref name="includes"/> matches it too.</summary>
    /// <exception cref="ArgumentException">A pattern is malformed; the message names it.</exception>
    public static PathFilter From(IEnumerable<string>? excludes, IEnumerable<string>? includes)
    {
        var filter = new PathFilter();
        foreach (var pattern in excludes ?? [])
        {
            filter.Add(pattern, negated: false);
        }

        foreach (var pattern in includes ?? [])
        {
            filter.Add(pattern, negated: true);
        }

        return filter;
    }

    /// <summary>This filter with the rules of an ignore file's lines before its own (so the command line wins).</summary>
    public PathFilter WithIgnoreFile(IEnumerable<string> lines)
    {
        var combined = new PathFilter();
        foreach (var line in lines)
        {
            var text = line.TrimEnd();
            if (text.Length == 0 || text.StartsWith('#'))
            {
                continue;
            }

            var negated = text.StartsWith('!');
            combined.Add(negated ? text[1..] : text, negated);
        }

        combined._rules.AddRange(_rules);
        return combined;
    }

    /// <summary>
    /// The rules as gitignore lines, in order (a rule that re-includes starts with <c>!</c>), so that
    /// <c>PathFilter.None.WithIgnoreFile(Lines)</c> is the same filter: how a sync tells the receiver what it leaves out.
    /// </summary>
    public IReadOnlyList<string> Lines => _rules.ConvertAll(r => (r.Negated ? "!" : r.Text.StartsWith('!') || r.Text.StartsWith('#') ? "\\" : "") + r.Text.Trim());

    /// <summary>Whether <paramref name="relativePath"/> ('/'-separated, below the root) is left out.</summary>
    public bool Excludes(string relativePath, bool isDirectory)
    {
        var excluded = false;
        foreach (var rule in _rules)
        {
            if ((!rule.DirectoriesOnly || isDirectory) && rule.Pattern.IsMatch(relativePath))
            {
                excluded = !rule.Negated;
            }
        }

        return excluded;
    }

    private void Add(string pattern, bool negated)
    {
        var text = pattern.Trim();
        if (text.Length == 0 || text == "/" || text.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{pattern}' is not a usable pattern");
        }

        var directoriesOnly = text.EndsWith('/');
        text = text.TrimEnd('/');
        var anchored = text.Contains('/', StringComparison.Ordinal);
        text = text.TrimStart('/');
        var regex = new StringBuilder(anchored ? "^" : "^(?:.*/)?");
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '*' when i + 1 < text.Length && text[i + 1] == '*':
                    var slashAfter = i + 2 < text.Length && text[i + 2] == '/';
                    regex.Append(slashAfter ? "(?:.*/)?" : ".*");
                    i += slashAfter ? 2 : 1;
                    break;
                case '*':
                    regex.Append("[^/]*");
                    break;
                case '?':
                    regex.Append("[^/]");
                    break;
                case '[':
                    var end = text.IndexOf(']', i + 1);
                    if (end < 0)
                    {
                        throw new ArgumentException($"'{pattern}' has a '[' without its ']'");
                    }

                    var set = text[(i + 1)..end];
                    var complement = set.StartsWith('!');
                    regex.Append(complement ? "[^" : "[").Append(Regex.Escape(complement ? set[1..] : set)).Append(']');
                    i = end;
                    break;
                case '\\' when i + 1 < text.Length:
                    regex.Append(Regex.Escape(text[++i].ToString()));
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        // A pattern also covers everything below what it names (a/b matches a/b/c) when that is walked at all.
        regex.Append("(?:/.*)?$");
        _rules.Add(new Rule(new Regex(regex.ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1)), negated, directoriesOnly, pattern));
    }
}
