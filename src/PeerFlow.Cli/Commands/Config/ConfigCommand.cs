using System.CommandLine;

using PeerFlow.Configuration;

namespace PeerFlow.Cli.Commands.Config;

/// <summary><c>peerflow config validate FILE</c> and <c>peerflow config schema</c>.</summary>
internal static class ConfigCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "The configuration file to check" };
        var validate = new Command("validate", "Check a configuration file: every problem with its file, line and property; exit 0 when it is valid, 2 when not") { file };
        validate.SetAction(result =>
        {
            var path = result.GetValue(file)!;
            var (_, errors) = ConfigLoader.Validate(path);
            if (errors.Count == 0)
            {
                Console.Out.WriteLine($"{path}: valid");
                return ExitCodes.Success;
            }

            foreach (var error in errors)
            {
                Console.Error.WriteLine($"peerflow: error: {error}");
            }

            return ExitCodes.UsageError;
        });

        var schema = new Command("schema", "Print the JSON schema of configuration files (the same as config/schema/peerflow.schema.json)");
        schema.SetAction(_ =>
        {
            Console.Out.Write(ConfigSchema.Text());
            return ExitCodes.Success;
        });

        return new Command("config", "PeerFlow's configuration files (JSON): check one, or print their schema") { validate, schema };
    }
}
