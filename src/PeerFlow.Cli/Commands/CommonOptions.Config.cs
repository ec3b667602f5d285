using System.CommandLine;

using PeerFlow.Configuration;
using PeerFlow.Transports;

namespace PeerFlow.Cli.Commands;

/// <summary>
/// --config FILE: values from a configuration file, overridden by any option given on the command line. An option
/// counts as given only when the user typed it (not when it took its default).
/// </summary>
internal sealed partial class CommonOptions
{
    public Option<string?> ConfigFile { get; } = new("--config") { Description = "A configuration file (JSON, see 'peerflow config schema'); options given here override it" };

    public Option<string[]> Exclude { get; } = new("--exclude") { Description = $"Leave out what matches this gitignore-style pattern below each source (repeatable; also {Files.PathFilter.IgnoreFileName} in a source directory)", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };

    public Option<string[]> Include { get; } = new("--include") { Description = "Send what matches this pattern even if an --exclude matches it (repeatable)", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };

    /// <summary>The --exclude/--include rules and the file's pipeline.exclude/include, the command line's last (so they win).</summary>
    public Files.PathFilter Filter(ParseResult result)
    {
        try
        {
            return Files.PathFilter.From(
                [.. Config.Pipeline?.Exclude ?? [], .. result.GetValue(Exclude) ?? []],
                [.. Config.Pipeline?.Include ?? [], .. result.GetValue(Include) ?? []]);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException($"--exclude/--include: {ex.Message}");
        }
    }

    /// <summary>The configuration file's content (empty without --config), once <see cref="LoadConfig"/> ran.</summary>
    public PeerFlowConfig Config { get; private set; } = new();

    /// <summary>The configuration of the job 'peerflow run' is running in this flow (its verb has no --config of its own).</summary>
    public static AsyncLocal<PeerFlowConfig?> JobConfig { get; } = new();

    /// <summary>Reads --config (or takes the running job's); an invalid file is a usage error listing every problem with its line.</summary>
    public void LoadConfig(ParseResult result)
    {
        if (result.GetValue(ConfigFile) is not { } path)
        {
            Config = JobConfig.Value ?? Config;
            return;
        }

        try
        {
            Config = ConfigLoader.Load(path);
        }
        catch (ConfigException ex)
        {
            throw new UsageException("invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, ex.Errors.Select(e => "  " + e)));
        }
    }

    /// <summary>The user typed <paramref name="option"/> (its value is not just the default).</summary>
    public static bool Given(ParseResult result, Option option) => result.GetResult(option) is { Implicit: false };

    /// <summary>The command line's value when given, else the file's, else the option's default.</summary>
    public static T Pick<T>(ParseResult result, Option<T> option, T? fromFile)
        where T : struct
        => Given(result, option) || fromFile is null ? result.GetValue(option) : fromFile.Value;

    /// <inheritdoc cref="Pick{T}(ParseResult, Option{T}, T?)"/>
    public static T? Pick<T>(ParseResult result, Option<T?> option, T? fromFile)
        where T : class
        => Given(result, option) || fromFile is null ? result.GetValue(option) : fromFile;

    /// <inheritdoc cref="Pick{T}(ParseResult, Option{T}, T?)"/>
    public static string PickText(ParseResult result, Option<string> option, string? fromFile)
        => Given(result, option) || fromFile is null ? result.GetValue(option)! : fromFile;

    /// <summary>A switch: on when typed, else as the file says, else off.</summary>
    public static bool Switch(ParseResult result, Option<bool> option, bool? fromFile)
        => Given(result, option) ? result.GetValue(option) : fromFile ?? result.GetValue(option);

    /// <summary>The transport's own options from the file (pipeline.transport.options), passed through to the plugin.</summary>
    public TransportOptions? TransportOptions()
        => Config.Pipeline?.Transport?.Options is { Count: > 0 } values ? new TransportOptions(values) : null;
}
