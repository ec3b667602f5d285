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
    public static PathStatus LStat(string path) => !Native || s_statxMissing ? PortableStatus(path) : Statx(null, path, path);

    /// <summary>
    /// The status of <paramref name="name"/> inside the open <paramref name="directory"/> (the kernel looks up one name,
    /// not the whole path); <paramref name="fullPath"/> is for messages and the portable path.
    /// </summary>
    public static PathStatus LStatAt(SafeFileHandle directory, string name, string fullPath)
        => !Native || s_statxMissing ? PortableStatus(fullPath) : Statx(directory, name, fullPath);

    /// <summary>
    /// <see cref="LStatAt(SafeFileHandle, string, string)"/> for a name that is part of a longer string: encoded on
    /// the stack, no string made; <paramref name="directoryPath"/> (the directory's path, for messages) and the name
    /// are only joined for an error. Null where statx is not available (not Linux, or a kernel before 4.11): the
    /// caller asks <see cref="LStat"/> with the full path instead.
    /// </summary>
    public static unsafe PathStatus? TryLStatAt(SafeFileHandle directory, ReadOnlySpan<char> name, string directoryPath)
    {
        if (!Native || s_statxMissing || name.Length > 1024)
        {
            return null;
        }

        Span<byte> utf8 = stackalloc byte[(name.Length * 3) + 1];
        var length = System.Text.Encoding.UTF8.GetBytes(name, utf8);
        utf8[length] = 0;
        Span<byte> buffer = stackalloc byte[StatxBufferLength];
        var added = false;
        int result;
        try
        {
            directory.DangerousAddRef(ref added);
            fixed (byte* path = utf8)
            {
                do
                {
                    result = Linux.StatxRaw((int)directory.DangerousGetHandle(), path, Linux.AT_SYMLINK_NOFOLLOW, Mask, ref MemoryMarshal.GetReference(buffer));
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
                directory.DangerousRelease();
            }
        }

        if (result != 0 && Marshal.GetLastPInvokeError() == Linux.ENOSYS)
        {
            s_statxMissing = true;
            return null;
        }

        return result == 0 ? Parse(buffer) : Failed(Marshal.GetLastPInvokeError(), directoryPath.Length == 0 ? name.ToString() : string.Concat(directoryPath, "/", name));
    }

    private static PathStatus Statx(SafeFileHandle? directory, string path, string fullPath)
    {
        Span<byte> buffer = stackalloc byte[StatxBufferLength];
        int result;
        try
        {
            do
            {
                result = directory is null
                    ? Linux.Statx(Linux.AT_FDCWD, path, Linux.AT_SYMLINK_NOFOLLOW, Mask, ref MemoryMarshal.GetReference(buffer))
                    : Linux.StatxAt(directory, path, Linux.AT_SYMLINK_NOFOLLOW, Mask, ref MemoryMarshal.GetReference(buffer));
            }
            while (result != 0 && Marshal.GetLastPInvokeError() == Linux.EINTR);
        }
        catch (EntryPointNotFoundException)
        {
            s_statxMissing = true;
            return PortableStatus(fullPath);
        }

        if (result != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Linux.ENOSYS)
            {
                s_statxMissing = true;
                return PortableStatus(fullPath);
            }

            return Failed(errno, fullPath);
        }

        return Parse(buffer);
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
        [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Statx(int directory, string path, int flags, uint mask, ref byte buffer);

        [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
        public static unsafe partial int StatxRaw(int directory, byte* path, int flags, uint mask, ref byte buffer);

        [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int StatxAt(SafeFileHandle directory, string path, int flags, uint mask, ref byte buffer);
    }
}
