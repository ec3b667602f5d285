using System.Runtime.InteropServices;

namespace PeerFlow.Diagnostics;

/// <summary>
/// Timestamps of a transfer's phases, for finding where a short run's time goes: with <c>PEERFLOW_TRACE_PHASES=1</c>
/// in its environment, each mark is one line on standard error, <c>peerflow-trace: UNIX_MICROSECONDS THREAD
/// THREAD_CPU_MICROSECONDS NAME</c> (CPU -1 where the system cannot tell). A sender's and a receiver's lines merge into
/// one timeline by their first number (bench/phases.sh does that). Without the variable a mark costs one test of a
/// static field. Plugins may mark their own phases.
/// </summary>
public static class PhaseTrace
{
    /// <summary>The environment variable that turns the marks on.</summary>
    public const string Variable = "PEERFLOW_TRACE_PHASES";

    private static readonly bool s_on = Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>Whether marks are written.</summary>
    public static bool On => s_on;

    /// <summary>Writes a mark named <paramref name="name"/> (a word or two, no line breaks) when tracing is on.</summary>
    public static void Mark(string name)
    {
        if (s_on)
        {
            Write(name);
        }
    }

    private static void Write(string name)
    {
        var now = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
        Console.Error.WriteLine($"peerflow-trace: {now} {Environment.CurrentManagedThreadId} {ThreadCpuMicroseconds()} {name}");
    }

    private static long ThreadCpuMicroseconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }

        try
        {
            return Native.ClockGetTime(Native.ClockThreadCpuTime, out var time) == 0 ? (time.Seconds * 1_000_000) + (time.Nanoseconds / 1000) : -1;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return -1;
        }
    }

    private static class Native
    {
        public const int ClockThreadCpuTime = 3;

        [StructLayout(LayoutKind.Sequential)]
        public struct TimeSpec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        [DllImport("libc", EntryPoint = "clock_gettime")]
        public static extern int ClockGetTime(int clock, out TimeSpec time);
    }
}
