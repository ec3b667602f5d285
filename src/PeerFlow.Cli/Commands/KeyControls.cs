using PeerFlow.Cli.Rendering;
using PeerFlow.Transfers;

namespace PeerFlow.Cli.Commands;

/// <summary>
/// On an interactive terminal, <c>p</c> pauses and <c>r</c> resumes the running transfer (the peer is told).
/// Ctrl+C is not handled here: it cancels gracefully through the process's shutdown token. Does nothing when
/// standard input is redirected (headless runs).
/// </summary>
internal sealed class KeyControls : IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    private KeyControls(TransferControl control, Renderer renderer)
    {
        var thread = new Thread(() => Run(control, renderer, _stop.Token)) { IsBackground = true, Name = "peerflow keys" };
        thread.Start();
    }

    public static IDisposable? Start(TransferControl control, Renderer renderer)
        => Console.IsInputRedirected || Environment.GetEnvironmentVariable("CI") is not null ? null : new KeyControls(control, renderer);

    private static void Run(TransferControl control, Renderer renderer, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (!Console.KeyAvailable)
                {
                    Thread.Sleep(50);
                    continue;
                }

                switch (char.ToLowerInvariant(Console.ReadKey(intercept: true).KeyChar))
                {
                    case 'p':
                        renderer.Note("pausing (press r to resume)");
                        control.PauseAsync(stop).GetAwaiter().GetResult();
                        break;
                    case 'r':
                        control.ResumeAsync(stop).GetAwaiter().GetResult();
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or OperationCanceledException)
        {
            // No usable console (or the transfer ended): keys are a convenience, never a failure.
        }
    }

    // The source is not disposed: the key thread may still be looking at its token.
    public void Dispose() => _stop.Cancel();
}
