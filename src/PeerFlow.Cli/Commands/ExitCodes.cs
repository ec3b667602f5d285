namespace PeerFlow.Cli.Commands;

/// <summary>The process exit codes, documented in README.md.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The transfer failed, or finished with files that could not be transferred.</summary>
    public const int TransferFailed = 1;

    /// <summary>Bad command line or configuration (unknown option, missing path, unknown transport).</summary>
    public const int UsageError = 2;

    /// <summary>Cancelled on purpose: by the user here (Ctrl+C, SIGTERM) or by the peer. What was received is kept for a later run.</summary>
    public const int Cancelled = 3;
}
