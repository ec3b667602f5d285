using System.Runtime.InteropServices;

using Microsoft.Win32.SafeHandles;

namespace PeerFlow.Files;

/// <summary>Directory handles on 64-bit Linux: walking, creating and renaming relative to open directories.</summary>
internal static partial class FileCalls
{
    private static readonly bool ArmFlags = RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64;

    // These two differ between architectures (asm-generic vs x86).
    private static int O_DIRECTORY => ArmFlags ? 0x4000 : 0x10000;

    private static int O_NOFOLLOW => ArmFlags ? 0x8000 : 0x20000;

    /// <summary>Opens a directory (following links: the caller chose it) as the root of a <see cref="DirectoryTree"/>.</summary>
    public static SafeFileHandle OpenDirectory(string path) => OpenNative(path, Linux.O_RDONLY | O_DIRECTORY | Linux.O_CLOEXEC, 0, "open the directory");

    /// <summary>
    /// Opens <paramref name="name"/> inside <paramref name="parent"/>, never following a symbolic link, creating it
    /// first when missing and <paramref name="create"/> is set.
    /// </summary>
    /// <exception cref="IOException">It is a symbolic link or not a directory, or it cannot be created or opened.</exception>
    public static SafeFileHandle OpenChildDirectory(SafeFileHandle parent, string name, bool create, string display)
    {
        for (var attempt = 0; ; attempt++)
        {
            var fd = Linux.OpenAt(parent, name, Linux.O_RDONLY | O_DIRECTORY | O_NOFOLLOW | Linux.O_CLOEXEC, 0);
            if (fd >= 0)
            {
                return new SafeFileHandle(fd, ownsHandle: true);
            }

            var errno = Marshal.GetLastPInvokeError();
            switch (errno)
            {
                case Linux.EINTR:
                    continue;
                case Linux.ENOENT when create && attempt == 0:
                    if (Linux.MkdirAt(parent, name, 0x1FF) != 0 && Marshal.GetLastPInvokeError() is var mkdirErrno && mkdirErrno != Linux.EEXIST)
                    {
                        throw Error(mkdirErrno, $"cannot create the directory '{display}'");
                    }

                    continue;
                case Linux.ELOOP or Linux.ENOTDIR:
                    throw new IOException($"refusing to write through '{display}': it is a symbolic link or not a directory");
                default:
                    throw Error(errno, $"cannot open the directory '{display}'");
            }
        }
    }

    /// <summary>
    /// Renames <paramref name="fromName"/> in <paramref name="fromDirectory"/> to <paramref name="toName"/> in
    /// <paramref name="toDirectory"/>; without <paramref name="replace"/>, false (and nothing changed) if the target exists.
    /// </summary>
    public static bool RenameAt(SafeFileHandle fromDirectory, string fromName, SafeFileHandle toDirectory, string toName, bool replace, string display)
    {
        var noReplaceWorks = !s_noReplaceUnsupported;
        var flags = replace || !noReplaceWorks ? 0u : Linux.RENAME_NOREPLACE;
        if (!replace && !noReplaceWorks && Linux.FStatAt(toDirectory, toName, out _, Linux.AT_SYMLINK_NOFOLLOW) == 0)
        {
            return false;
        }

        int result;
        try
        {
            result = Linux.RenameAt2Handles(fromDirectory, fromName, toDirectory, toName, flags);
        }
        catch (EntryPointNotFoundException)
        {
            s_noReplaceUnsupported = true;
            return RenameAt(fromDirectory, fromName, toDirectory, toName, replace, display);
        }

        if (result == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == Linux.EEXIST && !replace)
        {
            return false;
        }

        if (errno is Linux.EINVAL or Linux.ENOSYS && flags != 0)
        {
            s_noReplaceUnsupported = true;
            return RenameAt(fromDirectory, fromName, toDirectory, toName, replace, display);
        }

        throw Error(errno, $"cannot move '{display}' into place");
    }

    /// <summary>Creates the symbolic link <paramref name="name"/> in <paramref name="directory"/>; false if the name is taken.</summary>
    public static bool SymlinkAt(string target, SafeFileHandle directory, string name, string display)
    {
        while (Linux.SymlinkAt(target, directory, name) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Linux.EEXIST)
            {
                return false;
            }

            if (errno != Linux.EINTR)
            {
                throw Error(errno, $"cannot create the symbolic link '{display}'");
            }
        }

        return true;
    }

    /// <summary>Removes <paramref name="name"/> (not a directory) from <paramref name="directory"/>, if it is there.</summary>
    public static void UnlinkAt(SafeFileHandle directory, string name) => Linux.UnlinkAt(directory, name, 0);

    /// <summary>Removes the file or link <paramref name="name"/> from <paramref name="directory"/> (a link itself, never what it points to).</summary>
    /// <exception cref="IOException">It is a directory, or it cannot be removed; a name already gone is not an error.</exception>
    public static void Remove(SafeFileHandle directory, string name, string display)
    {
        while (Linux.UnlinkAt(directory, name, 0) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Linux.ENOENT)
            {
                return;
            }

            if (errno != Linux.EINTR)
            {
                throw Error(errno, $"cannot delete '{display}'");
            }
        }
    }

    /// <summary>Opens the regular file <paramref name="path"/> for reading, refusing a symbolic link in its place.</summary>
    public static SafeFileHandle OpenReadNoFollow(string path)
    {
        if (!Native)
        {
            var info = new FileInfo(path);
            if ((info.Attributes & FileAttributes.ReparsePoint) != 0 && info.Attributes != (FileAttributes)(-1))
            {
                throw new IOException($"refusing to read through the symbolic link '{path}'");
            }

            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }

        return OpenNative(path, Linux.O_RDONLY | O_NOFOLLOW | Linux.O_CLOEXEC, 0, "open");
    }

    /// <summary>The target of the symbolic link <paramref name="name"/> in <paramref name="directory"/>; null when it is not a link.</summary>
    public static string? ReadLinkAt(SafeFileHandle directory, string name)
    {
        var buffer = new byte[4096];
        var length = Linux.ReadLinkAt(directory, name, buffer, buffer.Length);
        return length < 0 ? null : System.Text.Encoding.UTF8.GetString(buffer, 0, (int)Math.Min(length, buffer.Length));
    }

    /// <summary>Sets a directory's permission bits through its handle.</summary>
    public static void SetMode(SafeFileHandle handle, UnixFileMode mode)
    {
        if (Linux.FChmod(handle, (uint)mode) != 0)
        {
            throw Error(Marshal.GetLastPInvokeError(), "cannot set the permissions");
        }
    }

    private static partial class Linux
    {
        public const int ENOENT = 2;
        public const int ENOTDIR = 20;
        public const int ELOOP = 40;
        public const int AT_SYMLINK_NOFOLLOW = 0x100;

        [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int OpenAt(SafeFileHandle directory, string path, int flags, uint mode);

        [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int MkdirAt(SafeFileHandle directory, string path, uint mode);

        [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int RenameAt2Handles(SafeFileHandle fromDirectory, string from, SafeFileHandle toDirectory, string to, uint flags);

        [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int UnlinkAt(SafeFileHandle directory, string path, int flags);

        [LibraryImport("libc", EntryPoint = "symlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int SymlinkAt(string target, SafeFileHandle directory, string path);

        [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial nint ReadLinkAt(SafeFileHandle directory, string path, [Out] byte[] buffer, nint size);

        [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
        public static partial int FChmod(SafeFileHandle fd, uint mode);

        // Only whether it succeeds matters, so the stat buffer is a generous opaque block.
        [LibraryImport("libc", EntryPoint = "fstatat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int FStatAt(SafeFileHandle directory, string path, out StatBuffer buffer, int flags);

        [StructLayout(LayoutKind.Sequential, Size = 256)]
        public struct StatBuffer
        {
            public long First;
        }
    }
}
