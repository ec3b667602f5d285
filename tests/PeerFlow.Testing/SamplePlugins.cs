using System.Diagnostics;

namespace PeerFlow.Testing;

/// <summary>
/// Builds the out-of-tree sample plugin (samples/UnixSocketTransport) the way a third party would: on its own,
/// against a PeerFlow.Abstractions.dll that ships with PeerFlow, into a plugins directory.
/// </summary>
public static class SamplePlugins
{
    public const string UnixSocketName = "PeerFlow.Transport.UnixSocket";

    /// <summary>The checkout's root (the directory holding PeerFlow.sln) above the running tests.</summary>
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PeerFlow.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("PeerFlow.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// Builds the Unix-socket sample into <paramref name="pluginsDirectory"/>/PeerFlow.Transport.UnixSocket against the
    /// contract in <paramref name="peerFlowDirectory"/>; fails the test with the build's output if it does not build.
    /// </summary>
    public static async Task BuildUnixSocketAsync(string pluginsDirectory, string peerFlowDirectory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            Assert.Ignore("the sample transport uses Unix domain sockets");
        }

        var project = Path.Combine(RepositoryRoot(), "samples", "UnixSocketTransport", UnixSocketName + ".csproj");
        var output = Path.Combine(pluginsDirectory, UnixSocketName);
        var build = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "build", project, "-c", "Release", "-o", output, $"-p:PeerFlowDir={Path.TrimEndingDirectorySeparator(peerFlowDirectory)}/", "--nologo" })
        {
            build.ArgumentList.Add(argument);
        }

        using var process = Process.Start(build)!;
        var log = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        Assert.That(process.ExitCode, Is.Zero, $"building the sample plugin failed:\n{await log}\n{await errors}");
        Assert.That(File.Exists(Path.Combine(output, "PeerFlow.Abstractions.dll")), Is.False, "a plugin must not ship its own copy of the contract");
    }
}
