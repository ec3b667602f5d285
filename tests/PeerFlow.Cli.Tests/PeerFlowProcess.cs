using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace PeerFlow.Cli.Tests;

/// <summary>Runs the real <c>peerflow</c> CLI as a child process.</summary>
internal sealed partial class PeerFlowProcess : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _disposed;

    private PeerFlowProcess(Process process) => _process = process;

    public static string CliPath => Environment.GetEnvironmentVariable("PEERFLOW_CLI")
        ?? typeof(PeerFlowProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PeerFlowCli").Value!;

    /// <summary>The PeerFlow home of every process this class starts, unless the test gives another.</summary>
    public static string SharedHome { get; } = Directory.CreateTempSubdirectory("peerflow-cli-home-").FullName;

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static PeerFlowProcess Start(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(CliPath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // One identity for every process of this test run (so a receiver trusts its senders, as on one machine),
        // never the user's own: a test that needs other identities passes --home or its own PEERFLOW_HOME.
        info.Environment["PEERFLOW_HOME"] = SharedHome;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var result = new PeerFlowProcess(process);
        process.OutputDataReceived += (_, e) => result.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (result._stderr)
                {
                    result._stderr.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>Sends a signal, as a user's Ctrl+C (SIGINT) or a service manager (SIGTERM) would.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.That(kill.ExitCode, Is.Zero, $"kill -{name} failed");
    }

    /// <summary>Runs to the end and returns the exit code.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
        => await RunAsync(args, null);

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IEnumerable<string> args, IDictionary<string, string>? environment)
    {
        await using var process = Start(args, environment);
        var code = await process.WaitForExitAsync();
        return (code, process.Stdout, process.Stderr);
    }

    /// <summary>Starts <c>peerflow receive</c> on 127.0.0.1, port 0, and returns once it printed where it listens.</summary>
    public static async Task<(PeerFlowProcess Process, string Address)> StartReceiverAsync(string destination, params string[] extra)
    {
        var process = Start(["receive", "--listen", "127.0.0.1:0", "--dest", destination, .. extra]);
        var address = await process._listening.Task.WaitAsync(Timeout);
        return (process, address);
    }

    /// <summary>Starts any listening command (<c>serve</c>, ...) and returns once it printed where it listens.</summary>
    public static async Task<(PeerFlowProcess Process, string Address)> StartListeningAsync(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var process = Start(args, environment);
        var address = await process._listening.Task.WaitAsync(Timeout);
        return (process, address);
    }

    public async Task<int> WaitForExitAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"peerflow did not exit within {Timeout}. stdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the process gets no chance to clean up or tell its peer anything.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await KillAsync();
        _process.Dispose();
    }

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            _listening.TrySetException(new InvalidOperationException($"peerflow ended without listening. stderr:\n{Stderr}"));
            return;
        }

        lock (_stdout)
        {
            _stdout.AppendLine(line);
        }

        var match = ListeningLine().Match(line);
        if (match.Success)
        {
            _listening.TrySetResult(match.Groups[1].Value);
        }
    }

    [GeneratedRegex(@"listening on (\S+:\d+)")]
    private static partial Regex ListeningLine();
}
