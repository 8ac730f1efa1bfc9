namespace PromptStudio.Core.Jobs;

/// <summary>The job states of DESIGN §2. Their lowercase names are the wire format everywhere.</summary>
public enum JobStatus
{
    Queued,
    Running,
    Paused,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>What can happen to a job. Pause, resume and cancel are the user's; the rest are the engine's.</summary>
public enum JobAction
{
    Start,
    Pause,
    Resume,
    Cancel,
    Complete,
    Fail,
}

public static class JobStates
{
    public static string ToWire(this JobStatus status) => status.ToString().ToLowerInvariant();

    public static string ToWire(this JobAction action) => action.ToString().ToLowerInvariant();

    public static bool TryParse(string? value, out JobStatus status)
    {
        status = default;
        if (string.IsNullOrWhiteSpace(value)) return false;
        return Enum.TryParse(value, ignoreCase: true, out status) && Enum.IsDefined(status) && !int.TryParse(value, out _);
    }

    public static bool IsTerminal(this JobStatus status) =>
        status is JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled;

    /// <summary>The single table of legal transitions.</summary>
    public static JobStatus? Next(JobStatus from, JobAction action) => (from, action) switch
    {
        (JobStatus.Queued, JobAction.Start) => JobStatus.Running,
        (JobStatus.Queued, JobAction.Cancel) => JobStatus.Cancelled,
        (JobStatus.Running, JobAction.Complete) => JobStatus.Completed,
        (JobStatus.Running, JobAction.Pause) => JobStatus.Paused,
        (JobStatus.Running, JobAction.Fail) => JobStatus.Failed,
        (JobStatus.Running, JobAction.Cancel) => JobStatus.Cancelled,
        (JobStatus.Paused, JobAction.Resume) => JobStatus.Running,
        (JobStatus.Paused, JobAction.Cancel) => JobStatus.Cancelled,
        _ => null,
    };

    /// <summary>The transition, or <see cref="InvalidJobTransitionException"/> naming the current state.</summary>
    public static JobStatus Transition(JobStatus from, JobAction action) =>
        Next(from, action) ?? throw new InvalidJobTransitionException(from, action);

    /// <summary>The user actions (pause, resume, cancel) allowed in a state.</summary>
    public static IReadOnlyList<JobAction> UserActions(JobStatus status) =>
        new[] { JobAction.Pause, JobAction.Resume, JobAction.Cancel }.Where(a => Next(status, a) is not null).ToArray();
}

public sealed class InvalidJobTransitionException(JobStatus current, JobAction action)
    : Exception(Describe(current, action))
{
    public JobStatus Current { get; } = current;
    public JobAction Action { get; } = action;
    public IReadOnlyList<JobAction> AllowedActions { get; } = JobStates.UserActions(current);

    private static string Describe(JobStatus current, JobAction action)
    {
        var allowed = JobStates.UserActions(current);
        var tail = allowed.Count == 0
            ? "it is final and allows no action"
            : "allowed: " + string.Join(", ", allowed.Select(a => a.ToWire()));
        return $"Cannot {action.ToWire()} a job that is {current.ToWire()} ({tail}).";
    }
}
