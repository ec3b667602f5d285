using System.Runtime.InteropServices;

using Microsoft.Win32.SafeHandles;

namespace PeerFlow.Files;

/// <summary>
/// The per-file system calls of both sides, made with as few syscalls as the platform allows. A small file costs
/// a receiver about a dozen syscalls through the portable .NET APIs (each open adds an <c>fstat</c>, the first
/// positioned write an <c>lseek</c>, setting a time another <c>fstat</c>, a move an <c>lstat</c> of its source), and on
/// a virtual machine every syscall costs microseconds. On Linux these calls go straight to the C library: the sender
/// opens, <c>pread</c>s and closes; the receiver creates with <c>open</c> (with the final permission bits, so no
/// <c>fchmod</c> when the umask allows), <c>pwrite</c>s, sets the time with <c>futimens</c>, closes and renames with
/// <c>renameat2</c>. Elsewhere they fall back to the portable APIs, with the same semantics.
/// </summary>
internal static partial class FileCalls
{
    // 64-bit only: there off_t is 64 bits wide in every C library, so pwrite and fallocate take the offsets as given.
    private static readonly bool NativeAvailable = OperatingSystem.IsLinux() && Environment.Is64BitProcess;
    private static readonly int? Umask = NativeAvailable ? ReadUmask() : null;
    private static bool s_noReplaceUnsupported;

    /// <summary>Whether the Linux calls are used; tests turn them off to check the portable path too.</summary>
    internal static bool Native { get; set; } = NativeAvailable;

    /// <summary>
    /// Creates <paramref name="path"/> exclusively (<c>O_CREAT|O_EXCL</c>: never follows or reuses anything already
    /// there) with permission bits <paramref name="mode"/> where the platform has them. Returns whether the file
    /// already has exactly those bits, i.e. whether the umask left them alone.
    /// </summary>
    public static SafeFileHandle CreateNew(string path, long preallocate, UnixFileMode? mode, out bool modeIsExact)
    {
        if (!Native || mode is null)
        {
            modeIsExact = false;
            return File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.None, preallocate);
        }

        // Readable too: with several streams, chunks written ahead are read back to be hashed in order.
        var handle = OpenNative(path, Linux.O_RDWR | Linux.O_CREAT | Linux.O_EXCL | Linux.O_CLOEXEC, (uint)mode.Value, "create");
        if (preallocate > 0 && Linux.FAllocate(handle, Linux.FALLOC_FL_KEEP_SIZE, 0, preallocate) != 0)
        {
            // Reserving space is an optimisation, except that it tells early when the disk is too full.
            var errno = Marshal.GetLastPInvokeError();
            if (errno is Linux.ENOSPC or Linux.EFBIG)
            {
                handle.Dispose();
                throw new IOException($"not enough space for '{path}' ({preallocate} bytes): {Marshal.GetPInvokeErrorMessage(errno)}", Linux.ENOSPC);
            }
        }

        modeIsExact = Umask is { } umask && ((int)mode.Value & umask) == 0;
        return handle;
    }

    /// <summary>Opens <paramref name="path"/> for reading (on Linux without the <c>fstat</c> .NET adds to every open).</summary>
    /// <exception cref="IOException">It cannot be opened.</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    public static SafeFileHandle OpenRead(string path, bool sequential)
    {
        if (!Native)
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, sequential ? FileOptions.SequentialScan : FileOptions.None);
        }

        var handle = OpenNative(path, Linux.O_RDONLY | Linux.O_CLOEXEC, 0, "open");
        if (sequential)
        {
            // Read-ahead advice; failing to give it changes nothing.
            _ = Linux.FAdvise(handle, 0, 0, Linux.POSIX_FADV_SEQUENTIAL);
        }

        return handle;
    }

    /// <summary>Reads into <paramref name="buffer"/> from <paramref name="offset"/> until it is full or the file ends; returns the bytes read.</summary>
    public static int Read(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            int read;
            if (!Native)
            {
                read = RandomAccess.Read(handle, buffer[total..], offset + total);
            }
            else
            {
                var result = Linux.PRead(handle, ref MemoryMarshal.GetReference(buffer[total..]), (nuint)(buffer.Length - total), offset + total);
                if (result < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Linux.EINTR)
                    {
                        continue;
                    }

                    throw Error(errno);
                }

                read = (int)result;
            }

            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/>.</summary>
    /// <exception cref="IOException">The write failed (e.g. the disk is full).</exception>
    public static void Write(SafeFileHandle handle, ReadOnlySpan<byte> data, long offset)
    {
        if (!Native)
        {
            RandomAccess.Write(handle, data, offset);
            return;
        }

        while (!data.IsEmpty)
        {
            var written = Linux.PWrite(handle, ref MemoryMarshal.GetReference(data), (nuint)data.Length, offset);
            if (written < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Linux.EINTR)
                {
                    continue;
                }

                throw Error(errno);
            }

            data = data[(int)written..];
            offset += written;
        }
    }

    /// <summary>Sets the modification time of an open file (the access time is left as it is).</summary>
    public static void SetModifiedTime(SafeFileHandle handle, long unixNanoseconds)
    {
        if (!Native)
        {
            File.SetLastWriteTimeUtc(handle, UnixTime.FromNanoseconds(unixNanoseconds));
            return;
        }

        var seconds = Math.DivRem(unixNanoseconds, 1_000_000_000L, out var nanoseconds);
        if (nanoseconds < 0)
        {
            seconds--;
            nanoseconds += 1_000_000_000L;
        }

        Span<Linux.TimeSpec> times =
        [
            new Linux.TimeSpec { Seconds = 0, Nanoseconds = Linux.UTIME_OMIT },
            new Linux.TimeSpec { Seconds = seconds, Nanoseconds = nanoseconds },
        ];
        if (Linux.FutimeNs(handle, ref MemoryMarshal.GetReference(times)) != 0)
        {
            throw Error(Marshal.GetLastPInvokeError(), "cannot set the modification time");
        }
    }

    /// <summary>Renames <paramref name="from"/> to <paramref name="to"/>, replacing what is there (atomically).</summary>
    public static void RenameReplacing(string from, string to)
    {
        if (!Native)
        {
            File.Move(from, to, overwrite: true);
            return;
        }

        if (Linux.Rename(from, to) != 0)
        {
            throw Error(Marshal.GetLastPInvokeError(), $"cannot rename '{from}' to '{to}'");
        }
    }

    /// <summary>
    /// Renames <paramref name="from"/> to <paramref name="to"/> unless something exists there: false, and nothing
    /// changed, if it does. The check and the rename are one atomic step where the file system supports it.
    /// </summary>
    public static bool TryRenameNoReplace(string from, string to)
    {
        if (Native && !s_noReplaceUnsupported)
        {
            int result, errno;
            try
            {
                result = Linux.RenameAt2(Linux.AT_FDCWD, from, Linux.AT_FDCWD, to, Linux.RENAME_NOREPLACE);
                errno = result == 0 ? 0 : Marshal.GetLastPInvokeError();
            }
            catch (EntryPointNotFoundException)
            {
                // A C library without renameat2 (glibc before 2.28).
                result = -1;
                errno = Linux.ENOSYS;
            }

            if (result == 0)
            {
                return true;
            }

            if (errno == Linux.EEXIST)
            {
                return false;
            }

            if (errno is not (Linux.EINVAL or Linux.ENOSYS))
            {
                throw Error(errno, $"cannot rename '{from}' to '{to}'");
            }

            // This file system (or kernel) cannot rename without replacing: check first, then rename.
            s_noReplaceUnsupported = true;
        }

        if (ConflictNames.Exists(to))
        {
            return false;
        }

        File.Move(from, to, overwrite: false);
        return true;
    }

    /// <summary><c>open(2)</c>, retried on <c>EINTR</c>; failures map to the exceptions .NET's own open throws.</summary>
    private static SafeFileHandle OpenNative(string path, int flags, uint mode, string verb)
    {
        int fd;
        do
        {
            fd = Linux.Open(path, flags, mode);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == Linux.EINTR);

        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            var message = $"cannot {verb} '{path}': {Marshal.GetPInvokeErrorMessage(errno)}";
            throw errno is Linux.EACCES or Linux.EPERM ? new UnauthorizedAccessException(message) : new IOException(message);
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    private static IOException Error(int errno, string? what = null)
        => new(what is null ? Marshal.GetPInvokeErrorMessage(errno) : $"{what}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);

    /// <summary>
    /// Whether <paramref name="error"/> means the disk (or the user's quota) is full, on either path: the native one
    /// keeps the errno as the HResult, .NET's does the same on Unix, and uses ERROR_DISK_FULL/ERROR_HANDLE_DISK_FULL on Windows.
    /// </summary>
    public static bool IsDiskFull(Exception error)
        => error is IOException io && (io.HResult is Linux.ENOSPC or Linux.EDQUOT || (io.HResult & 0xFFFF) is 0x70 or 0x27 && io.HResult < 0);

    /// <summary>The process's umask from <c>/proc/self/status</c>; null if unknown (then modes are always set explicitly).</summary>
    private static int? ReadUmask()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Umask:", StringComparison.Ordinal))
                {
                    return Convert.ToInt32(line["Umask:".Length..].Trim(), 8);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return null;
    }

    private static partial class Linux
    {
        public const int EPERM = 1;
        public const int EINTR = 4;
        public const int EACCES = 13;
        public const int EEXIST = 17;
        public const int EINVAL = 22;
        public const int EFBIG = 27;
        public const int ENOSPC = 28;

        public const int EDQUOT = 122;
        public const int ENOSYS = 38;

        // The same values on every Linux architecture .NET runs on (x64, arm64, arm, x86).
        public const int O_RDONLY = 0x0;
        public const int O_WRONLY = 0x1;
        public const int O_RDWR = 0x2;
        public const int O_CREAT = 0x40;
        public const int O_EXCL = 0x80;
        public const int O_CLOEXEC = 0x80000;
        public const int FALLOC_FL_KEEP_SIZE = 1;
        public const int POSIX_FADV_SEQUENTIAL = 2;
        public const int AT_FDCWD = -100;
        public const uint RENAME_NOREPLACE = 1;
        public const long UTIME_OMIT = (1L << 30) - 2;

        [StructLayout(LayoutKind.Sequential)]
        public struct TimeSpec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        // open(2) is variadic; on Linux the mode argument is passed like a fixed one on every architecture.
        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Open(string path, int flags, uint mode);

        [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
        public static partial int FAllocate(SafeFileHandle fd, int mode, long offset, long length);

        [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
        public static partial nint PRead(SafeFileHandle fd, ref byte buffer, nuint count, long offset);

        [LibraryImport("libc", EntryPoint = "posix_fadvise")]
        public static partial int FAdvise(SafeFileHandle fd, long offset, long length, int advice);

        [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
        public static partial nint PWrite(SafeFileHandle fd, ref byte buffer, nuint count, long offset);

        [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
        public static partial int FutimeNs(SafeFileHandle fd, ref TimeSpec times);

        [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Rename(string from, string to);

        [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int RenameAt2(int fromDirectory, string from, int toDirectory, string to, uint flags);
    }
}
