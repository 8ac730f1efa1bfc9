namespace PromptStudio.Client;

/// <summary>Wire-level facts about jobs that every client needs (DESIGN §2 and §4).</summary>
public static class JobExtensions
{
    /// <summary>The states a job never leaves.</summary>
    public static readonly IReadOnlySet<string> TerminalStatuses = new HashSet<string>(StringComparer.Ordinal) { "completed", "failed", "cancelled" };

    /// <summary>The events that end a job's stream.</summary>
    public static readonly IReadOnlySet<string> TerminalEventTypes = new HashSet<string>(StringComparer.Ordinal) { "job_complete", "job_failed", "job_cancelled" };

    public static bool IsTerminal(this JobDto job) => TerminalStatuses.Contains(job.Status);

    public static bool IsTerminal(this JobEventDto jobEvent) => TerminalEventTypes.Contains(jobEvent.Type);
}
