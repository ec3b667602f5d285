using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using PeerFlow.Transfers;
using PeerFlow.Transports;

namespace PeerFlow.Cli.Commands.Serve;

/// <summary>The daemon's one hosted service: serves the bound listener until the host stops, logging every transfer.</summary>
internal sealed partial class ServeService(ITransportListener listener, ReceiveOptions options, int maxConnections, ILoggerFactory loggers, Rendering.Renderer renderer, string? peerId, ControlSocket control, TransferRegistry registry) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger("peerflow.serve");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var share in options.Shares!)
        {
            LogShare(share.Name, share.Path, share.TrustedPeers.Count, share.Sync.ToString());
        }

        control.LogTo(_logger);
        renderer.Listening(EndPointParser.Format(listener.LocalEndPoint), peerId);
        var server = new ReceiveServer(listener, options, _logger, maxConcurrentTransfers: maxConnections)
        {
            ControlledObservers = transfer => registry.Observe(transfer, new LoggingObserver(_logger)),
        };
        try
        {
            await server.RunAsync(once: false, stoppingToken).ConfigureAwait(false);
            LogStopped();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            LogStoppedDuringTransfers();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "share {Share}: {Path} ({Trusted} trusted peer IDs, sync {Sync})")]
    private partial void LogShare(string share, string path, int trusted, string sync);

    [LoggerMessage(Level = LogLevel.Information, Message = "stopped")]
    private partial void LogStopped();

    [LoggerMessage(Level = LogLevel.Information, Message = "stopped; the interrupted transfers keep what arrived for their senders to resume")]
    private partial void LogStoppedDuringTransfers();
}
