using System.CommandLine;

using PeerFlow.Cli.Commands.Send;
using PeerFlow.Files;
using PeerFlow.Sync;
using PeerFlow.Transfers;

namespace PeerFlow.Cli.Commands.Sync;

/// <summary>
/// <c>peerflow sync SRC_DIR --to HOST:PORT[/PATH]</c>: makes the receiver's copy of a directory the same as the
/// source, sending only new and changed files; with <c>--delete</c>, guarded, also removing what the source no
/// longer has. Exit 0 when the copy matches, 1 when anything failed or a deletion guard held.
/// </summary>
internal static class SyncCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var source = new Argument<string>("source") { Description = "The directory to mirror (its content, not the directory itself, goes into the target)" };
        var to = new Option<string?>("--to") { Description = "The receiver, HOST:PORT[/PATH]: the target is PATH below its destination (SHARE[/PATH] on a daemon); without /PATH a directory named like the source; HOST:PORT/ is the destination itself" };
        var checksum = new Option<bool>("--checksum", "-c") { Description = "Compare by content hash instead of size and modification time (reads every file of the same size on both sides)" };
        var delete = new Option<bool>("--delete") { Description = "Delete what the target has that the source does not (never what --exclude or .peerflowignore leaves out); guarded by --max-delete" };
        var maxDelete = new Option<long?>("--max-delete") { Description = "Delete at most this many entries; if more would go, delete none (default: none if more than --max-delete-percent of the target would go)" };
        var maxDeletePercent = new Option<int?>("--max-delete-percent") { Description = $"Without --max-delete: delete none if more than this share of the target's entries would go (default {SyncOptions.DefaultMaxDeletePercent})" };
        var trash = new Option<bool>("--trash") { Description = "Move what is deleted into the receiver's trash (.peerflow/trash/DATE/ in the target) instead of removing it" };
        var wholeFile = new Option<bool>("--whole-file", "-W") { Description = "Send changed files whole (default: a changed file of 64 KiB or more sends only what differs from the receiver's version)" };
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Print what would be sent, updated and deleted; change nothing" };
        var reconnects = new Option<int>("--reconnects") { Description = "How many times in a row to reconnect after the connection is lost", DefaultValueFactory = _ => 5 };
        var peer = new Option<string?>("--peer") { Description = "The receiver's peer ID; the sync is refused if it presents another" };
        var links = new Option<bool>("--links") { Description = "Sync symbolic links as links (the receiver must allow them); without it they are skipped, and links at the receiver are never deleted" };
        var watch = new Option<bool>("--watch") { Description = "Keep syncing: after changes settle (file-system events) and every --rescan seconds; a receiver that goes away is waited for" };
        var debounce = new Option<double>("--debounce") { Description = "With --watch: seconds without further changes before a sync starts (at most 10 times that, or 10 s, after the first change)", DefaultValueFactory = _ => 1 };
        var rescan = new Option<double>("--rescan") { Description = "With --watch: seconds between full syncs that catch what events miss", DefaultValueFactory = _ => 60 };
        var command = new Command("sync", "Make a directory on a receiver the same as a local one, sending only what changed") { source, to, checksum, delete, maxDelete, maxDeletePercent, trash, wholeFile, dryRun, reconnects, peer, links, watch, debounce, rescan };
        common.AddTo(command);
        command.Options.Add(common.BandwidthLimit);
        command.Options.Add(common.Streams);
        command.Options.Add(common.Exclude);
        command.Options.Add(common.Include);
        command.SetAction((result, token) => CommandRunner.RunAsync(result, common, async (renderer, ct) =>
        {
            var send = common.Config.Send;
            var file = common.Config.Sync;
            var path = result.GetValue(source)!;
            var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
            if (!Directory.Exists(full))
            {
                throw new UsageException(File.Exists(full)
                    ? $"'{path}' is a file: sync mirrors a directory (use send for single files)"
                    : $"'{path}' does not exist (is its disk mounted?); nothing was synced");
            }

            var include = CommonOptions.Switch(result, links, send?.Links);
            var filter = common.Filter(result);
            SourceSet Walk()
            {
                try
                {
                    var sources = new SourceSet([full], include, filter) { SkipStateDirectory = true };

                    // Walked on the other core while the transport loads and connects; compared as it is walked.
                    sources.StartWalking();
                    return sources;
                }
                catch (ArgumentException ex)
                {
                    throw new UsageException(ex.Message);
                }
            }

            SourceSet? first = Walk();
            PeerFlow.Diagnostics.PhaseTrace.Mark("walk started");
            Warmup.Start(dataPath: false);
            var identity = SendCommand.LoadIdentityInBackground(result, common, renderer);
            var address = CommonOptions.Pick(result, to, send?.To) ?? throw new UsageException("where to sync to is missing: --to HOST:PORT[/PATH] (or send.to in --config)");
            var (endPoint, remote) = EndPointParser.ParseWithPath(address, "--to");
            var options = common.SendOptions(result, CommonOptions.Reconnects(result, reconnects, send?.Reconnects), remote ?? Path.GetFileName(full), new SyncOptions
            {
                Checksum = CommonOptions.Switch(result, checksum, file?.Checksum),
                Delete = CommonOptions.Switch(result, delete, file?.Delete),
                MaxDelete = CommonOptions.Given(result, maxDelete) ? Checked(result.GetValue(maxDelete), "--max-delete", 0, long.MaxValue) : file?.MaxDelete,
                MaxDeletePercent = (int)Checked(CommonOptions.Given(result, maxDeletePercent) ? result.GetValue(maxDeletePercent) : file?.MaxDeletePercent ?? SyncOptions.DefaultMaxDeletePercent, "--max-delete-percent", 0, 100)!,
                Trash = CommonOptions.Switch(result, trash, file?.Trash),
                WholeFile = CommonOptions.Switch(result, wholeFile, file?.WholeFile),
                DryRun = CommonOptions.Switch(result, dryRun, file?.DryRun),
            });
            renderer.ShowSyncChanges = options.Sync!.DryRun || result.GetValue(common.Verbose);
            var transport = common.ResolveTransport(result, "tcp");
            PeerFlow.Diagnostics.PhaseTrace.Mark("transport loaded");
            var connect = SendCommand.Connector(result, common, renderer, transport, endPoint, CommonOptions.Pick(result, peer, send?.Peer), identity);

            async Task<TransferResult> RunOnceAsync(CancellationToken cancellationToken)
            {
                var sources = Interlocked.Exchange(ref first, null) ?? Walk();
                try
                {
                    if (options.Sync.Delete && !Directory.EnumerateFileSystemEntries(full).Any())
                    {
                        renderer.Warning($"'{path}' is empty: the receiver will not delete anything (an unmounted disk looks like this)");
                    }

                    using var control = new TransferControl();
                    using var keys = KeyControls.Start(control, renderer);
                    var outcome = await renderer.RunAsync(observer => TransferSender.SendAsync(connect, sources, options, observer, cancellationToken, control)).ConfigureAwait(false);
                    renderer.Completed(outcome);
                    PeerFlow.Diagnostics.PhaseTrace.Mark("summary printed");
                    return outcome;
                }
                finally
                {
                    // A sync that failed before it read the walk (the receiver is away, in --watch mode for hours)
                    // must not leave it waiting with what it walked.
                    sources.StopWalking();
                }
            }

            if (!result.GetValue(watch))
            {
                var outcome = await RunOnceAsync(ct).ConfigureAwait(false);
                return outcome.Success && outcome.Sync?.DeletionRefused is null ? ExitCodes.Success : ExitCodes.TransferFailed;
            }

            var quiet = Seconds(result.GetValue(debounce), "--debounce", 0.01, 3600);
            using var watcher = new ChangeWatcher(full, quiet, TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(10).Ticks, quiet.Ticks * 10)), Seconds(result.GetValue(rescan), "--rescan", 1, 7 * 86_400));
            return await WatchAsync(watcher, RunOnceAsync, renderer, path, ct).ConfigureAwait(false);
        }, token));
        return command;
    }

    /// <summary>
    /// --watch: syncs, then waits for changes (or the rescan) and syncs again, until stopped. A sync that fails (the
    /// receiver is unreachable, or went away for longer than the reconnects cover) is tried again with backoff, up to
    /// a minute apart, without waiting for changes. Stopped while idle: exit 0; while a sync runs: it is cancelled
    /// (exit 3, through the command runner).
    /// </summary>
    private static async Task<int> WatchAsync(ChangeWatcher watcher, Func<CancellationToken, Task<TransferResult>> runOnce, Rendering.Renderer renderer, string path, CancellationToken cancellationToken)
    {
        renderer.Note(watcher.Watching
            ? $"watching '{path}': syncing {watcher.Quiet.TotalSeconds:0.##} s after changes settle, and every {watcher.Rescan.TotalSeconds:0.##} s"
            : $"syncing '{path}' every {watcher.Rescan.TotalSeconds:0.##} s");
        if (watcher.TakeProblem() is { } problem)
        {
            renderer.Warning(problem);
        }

        var failures = 0;
        while (true)
        {
            try
            {
                await runOnce(cancellationToken).ConfigureAwait(false);
                failures = 0;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not UsageException)
            {
                var delay = TimeSpan.FromSeconds(Math.Min(60, 1 << Math.Min(++failures, 6)));
                renderer.Note($"sync failed ({CommandRunner.Describe(ex)}); trying again in {delay.TotalSeconds:0} s");
                if (!await IdleAsync(Task.Delay(delay, cancellationToken)).ConfigureAwait(false))
                {
                    return ExitCodes.Success;
                }

                continue;
            }

            var wait = watcher.WaitAsync(cancellationToken);
            if (!await IdleAsync(wait).ConfigureAwait(false))
            {
                return ExitCodes.Success;
            }

            if (watcher.TakeProblem() is { } lost)
            {
                renderer.Warning(lost);
            }
        }
    }

    /// <summary>Waits while idle; false when stopped meanwhile.</summary>
    private static async Task<bool> IdleAsync(Task wait)
    {
        try
        {
            await wait.ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static TimeSpan Seconds(double value, string name, double min, double max)
        => value >= min && value <= max ? TimeSpan.FromSeconds(value) : throw new UsageException($"{name} must be between {min} and {max} seconds, not {value}");

    private static long? Checked(long? value, string name, long min, long max)
        => value is null || (value >= min && value <= max) ? value : throw new UsageException($"{name} must be between {min} and {max}, not {value}");
}
