using System.Buffers.Binary;
using System.Runtime.InteropServices;

using Microsoft.Win32.SafeHandles;

namespace PeerFlow.Files;

/// <summary>What a path is, as <c>lstat</c> sees it (a link is a link, never what it points to).</summary>
internal enum PathKind
{
    Missing,
    File,
    Directory,
    Link,

    /// <summary>A device, socket or pipe.</summary>
    Other,
}

/// <summary>One <c>lstat</c>: kind, size, modification time (nanoseconds since the epoch) and permission bits.</summary>
internal readonly record struct PathStatus(PathKind Kind, long Size, long ModifiedUnixNanoseconds, int Mode);

/// <summary>
/// <c>statx(2)</c> on Linux: everything a transfer needs to know of a path in one system call. .NET's FileInfo takes
/// the same <c>lstat</c> plus a <c>geteuid</c> and an object per path; on a tree of small files that is most of a
/// sync's time when nothing changed.
/// </summary>
internal static partial class FileCalls
{
    private const int StatxBufferLength = 256;
    private const uint Mask = Linux.STATX_TYPE | Linux.STATX_MODE | Linux.STATX_SIZE | Linux.STATX_MTIME;
    private static bool s_statxMissing;

    /// <summary>The status of <paramref name="path"/>, without following a link; <see cref="PathKind.Missing"/> when nothing is there.</summary>
    /// <exception cref="IOException">It cannot be examined (other than not existing).</exception>
    public static PathStatus LStat(string path)
        => !Native || s_statxMissing ? PortableStatus(path) : Statx(null, path, null) ?? PortableStatus(path);

    /// <summary>
    /// The status of <paramref name="name"/> inside the open <paramref name="directory"/> (the kernel looks up one name,
    /// not the whole path), without following a link. The name may be part of a longer string: it is encoded on the
    /// stack, no string made; <paramref name="directoryPath"/> names the directory in messages ("" for none). Null
    /// where statx is not available (not Linux, or a kernel before 4.11): ask <see cref="LStat"/> with the full path.
    /// </summary>
    public static PathStatus? TryLStatAt(SafeFileHandle directory, ReadOnlySpan<char> name, string directoryPath)
        => !Native || s_statxMissing ? null : Statx(directory, name, directoryPath);

    /// <summary>One statx of <paramref name="path"/>, relative to <paramref name="directory"/> when given; null when statx is not available.</summary>
    private static unsafe PathStatus? Statx(SafeFileHandle? directory, ReadOnlySpan<char> path, string? directoryPath)
    {
        var longest = (path.Length * 3) + 1;
        var rented = longest > 1024 ? System.Buffers.ArrayPool<byte>.Shared.Rent(longest) : null;
        Span<byte> utf8 = rented ?? stackalloc byte[longest];
        utf8[System.Text.Encoding.UTF8.GetBytes(path, utf8)] = 0;
        Span<byte> buffer = stackalloc byte[StatxBufferLength];
        var added = false;
        int result;
        try
        {
            directory?.DangerousAddRef(ref added);
            var at = directory is null ? Linux.AT_FDCWD : (int)directory.DangerousGetHandle();
            fixed (byte* encoded = utf8)
            {
                do
                {
                    result = Linux.Statx(at, encoded, Linux.AT_SYMLINK_NOFOLLOW, Mask, ref MemoryMarshal.GetReference(buffer));
                }
                while (result != 0 && Marshal.GetLastPInvokeError() == Linux.EINTR);
            }
        }
        catch (EntryPointNotFoundException)
        {
            s_statxMissing = true;
            return null;
        }
        finally
        {
            if (added)
            {
                directory!.DangerousRelease();
            }

            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }

        if (result == 0)
        {
            return Parse(buffer);
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == Linux.ENOSYS)
        {
            s_statxMissing = true;
            return null;
        }

        return Failed(errno, string.IsNullOrEmpty(directoryPath) ? path.ToString() : string.Concat(directoryPath, "/", path));
    }

    private static PathStatus Failed(int errno, string path)
    {
        if (errno is Linux.ENOENT or Linux.ENOTDIR)
        {
            return default;
        }

        throw errno is Linux.EACCES or Linux.EPERM
            ? new UnauthorizedAccessException($"cannot examine '{path}': {Marshal.GetPInvokeErrorMessage(errno)}")
            : Error(errno, $"cannot examine '{path}'");
    }

    private static PathStatus Parse(ReadOnlySpan<byte> buffer)
    {
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer[28..]);
        var size = BinaryPrimitives.ReadInt64LittleEndian(buffer[40..]);
        var seconds = BinaryPrimitives.ReadInt64LittleEndian(buffer[112..]);
        var nanoseconds = BinaryPrimitives.ReadUInt32LittleEndian(buffer[120..]);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => PathKind.File,
            0x4000 => PathKind.Directory,
            0xA000 => PathKind.Link,
            _ => PathKind.Other,
        };
        return new PathStatus(kind, size, (seconds * 1_000_000_000) + nanoseconds, mode & 0xFFF);
    }

    private static PathStatus PortableStatus(string path)
    {
        var info = new FileInfo(path);
        var attributes = info.Attributes;
        if (attributes == (FileAttributes)(-1))
        {
            return default;
        }

        var kind = (attributes & FileAttributes.ReparsePoint) != 0 ? PathKind.Link
            : (attributes & FileAttributes.Directory) != 0 ? PathKind.Directory
            : (attributes & FileAttributes.Device) != 0 ? PathKind.Other
            : PathKind.File;
        var mode = OperatingSystem.IsWindows() ? -1 : (int)info.UnixFileMode;
        return new PathStatus(kind, kind == PathKind.File ? info.Length : 0, UnixTime.ToNanoseconds(info.LastWriteTimeUtc), mode);
    }

    private static partial class Linux
    {
        public const uint STATX_TYPE = 0x1;
        public const uint STATX_MODE = 0x2;
        public const uint STATX_MTIME = 0x40;
        public const uint STATX_SIZE = 0x200;

        // struct statx has the same layout on every architecture (that is why it exists): mode at 28, size at 40, mtime at 112.
        [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
        public static unsafe partial int Statx(int directory, byte* path, int flags, uint mask, ref byte buffer);
    }
}
