namespace PeerFlow.Cli.Commands;

/// <summary>The command line or configuration is wrong; reported as one line with exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
