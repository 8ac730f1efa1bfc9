namespace PromptStudio.Core.Jobs;

/// <summary>Event type names of DESIGN §4 (the wire format).</summary>
public static class JobEventTypes
{
    public const string JobQueued = "job_queued";
    public const string JobStarted = "job_started";
    public const string IterationStart = "iteration_start";
    public const string MutationGenerated = "mutation_generated";
    public const string EvaluationStart = "evaluation_start";
    public const string EvaluationComplete = "evaluation_complete";
    public const string NewBest = "new_best";
    public const string IterationComplete = "iteration_complete";
    public const string JobPaused = "job_paused";
    public const string JobResumed = "job_resumed";
    public const string JobComplete = "job_complete";
    public const string JobFailed = "job_failed";
    public const string JobCancelled = "job_cancelled";

    public static readonly IReadOnlyList<string> All =
    [
        JobQueued, JobStarted, IterationStart, MutationGenerated, EvaluationStart, EvaluationComplete,
        NewBest, IterationComplete, JobPaused, JobResumed, JobComplete, JobFailed, JobCancelled,
    ];
}

/// <summary>Why a job stopped.</summary>
public static class StopReasons
{
    public const string TargetReached = "target_reached";
    public const string Patience = "patience";
    public const string MaxIterations = "max_iterations";
    public const string MinImprovement = "min_improvement";
    public const string Timeout = "timeout";
    public const string Quota = "quota";
    public const string Budget = "budget";
    public const string Cancelled = "cancelled";
    public const string Error = "error";
}
