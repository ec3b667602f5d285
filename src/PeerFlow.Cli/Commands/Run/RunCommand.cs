using System.CommandLine;

using PeerFlow.Configuration;

namespace PeerFlow.Cli.Commands.Run;

/// <summary>
/// <c>peerflow run FILE [JOB...]</c>: runs the file's named jobs one after another, headless, each exactly as its verb
/// would run with the job's settings (the job's sections over the file's), then prints a summary. A failed job does
/// not stop the next; a cancelled one (Ctrl+C, SIGTERM) stops the run.
/// </summary>
internal static class RunCommand
{
    public static Command Create(RootCommand root)
    {
        var file = new Argument<string>("file") { Description = "The configuration file with the jobs" };
        var names = new Argument<string[]>("jobs") { Description = "Jobs to run (default: all, in file order)", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<string>("--output") { Description = "Output format of every job", DefaultValueFactory = _ => "text" };
        output.AcceptOnlyFromAmong("text", "json");
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show stack traces and debug logs" };
        var pluginsDir = new Option<string?>("--plugins-dir") { Description = "Where transport plugins are" };
        var home = new Option<string?>("--home") { Description = "PeerFlow home: identity and trusted peers" };
        var command = new Command("run", "Run the named jobs of a configuration file (send, receive, copy), one after another, and summarise") { file, names, output, verbose, pluginsDir, home };
        command.SetAction(async (result, token) =>
        {
            var path = result.GetValue(file)!;
            PeerFlowConfig config;
            try
            {
                config = ConfigLoader.Load(path);
            }
            catch (ConfigException ex)
            {
                Console.Error.WriteLine($"peerflow: error: invalid configuration:{Environment.NewLine}{string.Join(Environment.NewLine, ex.Errors.Select(e => "  " + e))}");
                return ExitCodes.UsageError;
            }

            var jobs = config.Jobs ?? [];
            var wanted = result.GetValue(names) ?? [];
            if (wanted.FirstOrDefault(n => !jobs.Any(j => j.Name == n)) is { } unknown)
            {
                Console.Error.WriteLine($"peerflow: error: {path} has no job named '{unknown}' (it has: {(jobs.Count == 0 ? "none" : string.Join(", ", jobs.Select(j => j.Name)))})");
                return ExitCodes.UsageError;
            }

            var selected = wanted.Length == 0 ? jobs : [.. jobs.Where(j => wanted.Contains(j.Name))];
            if (selected.Count == 0)
            {
                Console.Error.WriteLine($"peerflow: error: {path} has no jobs to run (add a \"jobs\" array)");
                return ExitCodes.UsageError;
            }

            var outcomes = new List<(string Name, int Code)>();
            foreach (var job in selected)
            {
                if (token.IsCancellationRequested)
                {
                    break;
                }

                var arguments = Arguments(job);
                foreach (var (option, value) in new (Option Option, string? Value)[] { (output, result.GetValue(output)), (pluginsDir, result.GetValue(pluginsDir)), (home, result.GetValue(home)) })
                {
                    if (CommonOptions.Given(result, option) && value is not null)
                    {
                        arguments.AddRange([option.Name, value]);
                    }
                }

                if (result.GetValue(verbose))
                {
                    arguments.Add("--verbose");
                }

                Console.Error.WriteLine($"peerflow: job {job.Name}: {job.Verb}");
                CommonOptions.JobConfig.Value = Merge(config, job);
                var code = await root.Parse(arguments).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, token).ConfigureAwait(false);
                CommonOptions.JobConfig.Value = null;
                outcomes.Add((job.Name!, code));
                if (code == ExitCodes.Cancelled)
                {
                    break;
                }
            }

            var succeeded = outcomes.Count(o => o.Code == ExitCodes.Success);
            var skipped = selected.Count - outcomes.Count;
            var json = result.GetValue(output) == "json";
            foreach (var (name, code) in outcomes)
            {
                var state = code == ExitCodes.Success ? "done" : code == ExitCodes.Cancelled ? "cancelled" : "FAILED";
                Console.Out.WriteLine(json
                    ? System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object> { ["event"] = "job", ["name"] = name, ["result"] = state.ToLowerInvariant(), ["exitCode"] = code }, RunJson.Default.DictionaryStringObject)
                    : $"job {name}: {state} (exit {code})");
            }

            var summary = $"run: {selected.Count} jobs, {succeeded} succeeded, {outcomes.Count - succeeded} failed{(skipped > 0 ? $", {skipped} not run" : "")}";
            Console.Out.WriteLine(json
                ? System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object> { ["event"] = "run", ["jobs"] = selected.Count, ["succeeded"] = succeeded, ["failed"] = outcomes.Count - succeeded, ["notRun"] = skipped, ["message"] = summary }, RunJson.Default.DictionaryStringObject)
                : summary);
            return outcomes.Any(o => o.Code == ExitCodes.Cancelled) || skipped > 0 ? ExitCodes.Cancelled
                : outcomes.Any(o => o.Code == ExitCodes.UsageError) ? ExitCodes.UsageError
                : succeeded == outcomes.Count ? ExitCodes.Success : ExitCodes.TransferFailed;
        });
        return command;
    }

    /// <summary>The verb's own command line for <paramref name="job"/>; everything else comes from its configuration.</summary>
    private static List<string> Arguments(JobConfig job) => job.Verb switch
    {
        "send" => ["send", .. job.Paths ?? []],
        "sync" => ["sync", .. job.Paths ?? []],
        "copy" => ["copy", .. job.Paths ?? [], .. job.Dest is null ? Array.Empty<string>() : [job.Dest]],
        _ => ["receive"],
    };

    /// <summary>The file's sections with the job's own over them, property by property.</summary>
    private static PeerFlowConfig Merge(PeerFlowConfig file, JobConfig job) => new()
    {
        Pipeline = Over(file.Pipeline, job.Pipeline),
        Send = Over(file.Send, job.Send),
        Receive = Over(file.Receive, job.Receive),
        Sync = Over(file.Sync, job.Sync),
    };

    private static T? Over<T>(T? below, T? above)
        where T : class, new()
    {
        if (below is null || above is null)
        {
            return above ?? below;
        }

        var merged = new T();
        foreach (var property in typeof(T).GetProperties())
        {
            var value = property.GetValue(above) ?? property.GetValue(below);
            if (property.PropertyType == typeof(TransportConfig))
            {
                value = Over((TransportConfig?)property.GetValue(below), (TransportConfig?)property.GetValue(above));
            }

            property.SetValue(merged, value);
        }

        return merged;
    }
}

/// <summary>Source-generated JSON for the run's summary events (no reflection at run time).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, object>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(int))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class RunJson : System.Text.Json.Serialization.JsonSerializerContext;
