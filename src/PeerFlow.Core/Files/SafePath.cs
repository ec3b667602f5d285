using System.Text;

using PeerFlow.Protocol;

namespace PeerFlow.Files;

/// <summary>
/// The receiver's first line of defence: every path that comes from a peer goes through here before any
/// file-system call. A path is accepted only if it is relative, '/'-separated, made of ordinary names, and lands
/// inside the destination once combined with it.
/// </summary>
public static class SafePath
{
    /// <summary>Longest single name, in UTF-8 bytes (the common file-system limit).</summary>
    public const int MaxNameBytes = 255;

    private static readonly string[] WindowsDevices = ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", .. Enumerable.Range(0, 10).SelectMany(i => new[] { $"COM{i}", $"LPT{i}" }), "COM¹", "COM²", "COM³", "LPT¹", "LPT²", "LPT³"];

    /// <summary>Splits and checks a peer-supplied relative path.</summary>
    /// <param name="path">The path as the peer sent it.</param>
    /// <param name="windowsRules">
    /// Also refuse what Windows would misread: device names (<c>CON</c>, <c>NUL.txt</c>, <c>COM1</c>), names ending in
    /// a dot or a space, and <c>&lt;&gt;:"|?*</c> (<c>a:b</c> names an alternate data stream). On by default on Windows;
    /// elsewhere such names are ordinary files (macOS screenshots have colons) unless the receiver asks for portable names.
    /// </param>
    /// <exception cref="InvalidPathException">The path is empty, absolute, escapes, or holds a forbidden name or character.</exception>
    public static string[] Split(string? path, bool? windowsRules = null)
    {
        var windows = windowsRules ?? OperatingSystem.IsWindows();
        if (string.IsNullOrEmpty(path))
        {
            throw new InvalidPathException(path ?? "", "the path is empty");
        }

        if (Encoding.UTF8.GetByteCount(path) > ProtocolConstants.MaxPathBytes)
        {
            throw new InvalidPathException(path, $"the path is longer than {ProtocolConstants.MaxPathBytes} bytes");
        }

        foreach (var c in path)
        {
            if (char.IsControl(c))
            {
                throw new InvalidPathException(path, $"the path contains control character U+{(int)c:X4}");
            }

            if (c == '\\')
            {
                throw new InvalidPathException(path, "the path contains a backslash (only '/' separates names)");
            }
        }

        if (path[0] == '/')
        {
            throw new InvalidPathException(path, "the path is absolute");
        }

        if (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0]))
        {
            throw new InvalidPathException(path, "the path starts with a drive letter");
        }

        var segments = path.Split('/');
        foreach (var segment in segments)
        {
            if (segment.Length == 0)
            {
                throw new InvalidPathException(path, "the path has an empty name (a doubled or trailing '/')");
            }

            if (segment is "." or "..")
            {
                throw new InvalidPathException(path, $"the path contains '{segment}'");
            }

            if (Encoding.UTF8.GetByteCount(segment) > MaxNameBytes)
            {
                throw new InvalidPathException(path, $"a name in the path is longer than {MaxNameBytes} bytes");
            }

            if (segment.AsSpan().TrimStart('.').IsEmpty)
            {
                throw new InvalidPathException(path, $"the name '{segment}' is only dots");
            }

            if (windows && WindowsProblem(segment) is { } problem)
            {
                throw new InvalidPathException(path, problem);
            }
        }

        return segments;
    }

    private static string? WindowsProblem(string name)
    {
        if (name.AsSpan().IndexOfAny("<>:\"|?*") is >= 0 and var at)
        {
            return name[at] == ':' ? $"the name '{name}' contains ':' (an alternate data stream on Windows)" : $"the name '{name}' contains '{name[at]}', which Windows does not allow";
        }

        if (name[^1] is '.' or ' ')
        {
            return $"the name '{name}' ends in a {(name[^1] == '.' ? "dot" : "space")}, which Windows drops";
        }

        var stem = name.Split('.')[0].TrimEnd(' ');
        return WindowsDevices.Contains(stem, StringComparer.OrdinalIgnoreCase) ? $"'{name}' is a Windows device name" : null;
    }

    /// <summary>
    /// Joins validated <paramref name="segments"/> under <paramref name="destination"/> (a full, normalised path) and
    /// checks that the result is still strictly inside it.
    /// </summary>
    public static string Combine(string destination, IReadOnlyList<string> segments, string originalPath)
        => Combine(destination, string.Join('/', segments), originalPath);

    /// <summary>
    /// Joins <paramref name="relative"/>, '/'-separated names each already checked by <see cref="Split"/>, under
    /// <paramref name="destination"/> (a full, normalised path) and checks that the result is still strictly inside
    /// it. Checked names leave nothing to normalise on Unix (no '.', '..', empty names or other separators), so the
    /// join is the full path there; Windows still normalises (its separator, trailing dots and spaces).
    /// </summary>
    public static string Combine(string destination, string relative, string originalPath)
    {
        var combined = OperatingSystem.IsWindows() ? Path.GetFullPath(Path.Join(destination, relative)) : Path.Join(destination, relative);
        if (!IsStrictlyInside(destination, combined))
        {
            throw new InvalidPathException(originalPath, "the path leaves the destination");
        }

        return combined;
    }

    /// <summary>
    /// Why a symbolic link at <paramref name="linkSegments"/> (its path below the destination, already checked) may
    /// not point to <paramref name="target"/>, or null when it may: the target must be relative, '/'-separated and,
    /// resolved from the link's directory one name at a time (as rsync's --safe-links does), stay inside the
    /// destination and out of PeerFlow's own state directory.
    /// </summary>
    public static string? UnsafeLinkTarget(IReadOnlyList<string> linkSegments, string? target, string stateDirectory)
    {
        ArgumentNullException.ThrowIfNull(linkSegments);
        if (string.IsNullOrEmpty(target))
        {
            return "the link has no target";
        }

        if (target.Length > MaxLinkTargetLength)
        {
            return $"its target is longer than {MaxLinkTargetLength} characters";
        }

        if (target.Any(char.IsControl))
        {
            return "its target contains control characters";
        }

        if (target[0] == '/' || target.Contains('\\', StringComparison.Ordinal) || (target.Length >= 2 && target[1] == ':'))
        {
            return $"its target '{Printable(target)}' is absolute or not '/'-separated; only relative links inside the destination are created";
        }

        var resolved = new List<string>(linkSegments.Take(linkSegments.Count - 1));
        foreach (var part in target.Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (resolved.Count == 0)
                {
                    return $"its target '{Printable(target)}' points outside the destination";
                }

                resolved.RemoveAt(resolved.Count - 1);
                continue;
            }

            resolved.Add(part);
            if (resolved.Count == 1 && string.Equals(part, stateDirectory, StringComparison.OrdinalIgnoreCase))
            {
                return $"its target '{Printable(target)}' points into PeerFlow's own '{stateDirectory}' directory";
            }
        }

        return null;
    }

    /// <summary>The longest symbolic link target accepted (Linux's PATH_MAX less its terminator).</summary>
    public const int MaxLinkTargetLength = 4095;

    /// <summary>True when <paramref name="candidate"/> is below <paramref name="root"/> (both full paths).</summary>
    public static bool IsStrictlyInside(string root, string candidate)
    {
        var length = Path.EndsInDirectorySeparator(root) ? root.Length : root.Length + 1;
        return candidate.Length > length && candidate.StartsWith(root, StringComparison.Ordinal) && candidate[length - 1] == Path.DirectorySeparatorChar;
    }

    /// <summary>Makes a peer-supplied name safe to print on a terminal (control and format characters escaped).</summary>
    public static string Printable(string? text)
    {
        if (text is null)
        {
            return "";
        }

        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            // Control characters could drive the terminal; format characters (bidirectional overrides, zero-width
            // spaces) could make a name look like another.
            if (char.IsControl(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format)
            {
                builder.Append($"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}

/// <summary>A peer sent a path that is not allowed.</summary>
public sealed class InvalidPathException(string path, string reason)
    : Exception($"refused path '{SafePath.Printable(path)}': {reason}")
{
    public string PeerPath { get; } = path;

    public string Reason { get; } = reason;
}
