namespace PeerFlow.Pipeline;

internal static class Tasks
{
    /// <summary>Waits for every task, ignoring their errors (already reported to the pipeline's fault).</summary>
    public static async Task WhenAllQuietly(params Task?[] tasks)
    {
        foreach (var task in tasks)
        {
            if (task is null)
            {
                continue;
            }

            try
            {
                await task.ConfigureAwait(false);
            }
            catch
            {
                // Only the pipeline's first error is surfaced.
            }
        }
    }
}
