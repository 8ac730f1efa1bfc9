using PromptStudio.Core.Jobs;
using PromptStudio.Core.Metrics;
using PromptStudio.Core.Optimization;

namespace PromptStudio.Web.Jobs;

/// <summary>
/// An optimization job row. <see cref="Status"/> only changes through <see cref="Apply"/>, which follows the
/// table in <see cref="JobStates"/>. The lease columns say which worker owns a running job; every write by
/// the owner is conditional on <see cref="LeaseVersion"/> (EF's concurrency token), so an owner that lost
/// its lease cannot overwrite the progress of the next one.
/// </summary>
public sealed class OptimizationJob
{
    public Guid Id { get; private set; }
    public Guid WorkspaceId { get; private set; }
    public int PromptId { get; private set; }
    public int DatasetId { get; private set; }
    public JobStatus Status { get; private set; }

    /// <summary>The configuration as the client sent it (JSON of the wire config, defaults filled in).</summary>
    public string ConfigJson { get; private set; } = "{}";
    public int MaxIterations { get; private set; }
    /// <summary>The iteration in progress (or the last one, once the job stopped); 0 is the baseline.</summary>
    public int CurrentIteration { get; set; }
    public int CompletedIterations { get; set; }
    public double? BaselineScore { get; set; }
    public double? CurrentScore { get; set; }
    public double? BestScore { get; set; }
    public string? BestPrompt { get; set; }
    public string? BestSystemPrompt { get; set; }
    public int? ResultPromptId { get; private set; }
    public string? StopReason { get; private set; }
    public string? Error { get; private set; }
    public List<string> Warnings { get; private set; } = [];

    public int LlmCalls { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public decimal CostUsd { get; set; }
    public int CacheHits { get; set; }

    public double? HeldOutBaselineScore { get; set; }
    public double? HeldOutBestScore { get; set; }
    public int HeldOutItems { get; set; }

    /// <summary>Running time used so far, across pauses and restarts (for <c>timeoutSeconds</c>).</summary>
    public double ActiveSeconds { get; set; }

    public DateTime CreatedAt { get; private set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? CompletedAt { get; private set; }
    public DateTime UpdatedAt { get; set; }
    public string CreatedBy { get; private set; } = "";

    /// <summary>Id of the newest event; the next event gets the next number.</summary>
    public long LastEventId { get; set; }

    public string? LeaseOwner { get; set; }
    public DateTime? LeaseExpiresAt { get; set; }
    public long LeaseVersion { get; set; }

    /// <summary>pause or cancel, asked for by a user while a worker owns the job; the owner carries it out.</summary>
    public string? RequestedAction { get; set; }

    private OptimizationJob()
    {
    }

    public static OptimizationJob Create(
        Guid workspaceId, int promptId, int datasetId, string configJson, int maxIterations,
        IEnumerable<string> warnings, string createdBy, DateTime now) => new()
    {
        Id = Guid.CreateVersion7(),
        WorkspaceId = workspaceId,
        PromptId = promptId,
        DatasetId = datasetId,
        Status = JobStatus.Queued,
        ConfigJson = configJson,
        MaxIterations = maxIterations,
        Warnings = [.. warnings],
        CreatedAt = now,
        UpdatedAt = now,
        CreatedBy = createdBy,
    };

    /// <summary>Moves the job through the state machine; an illegal move throws <see cref="InvalidJobTransitionException"/>.</summary>
    public void Apply(JobAction action, DateTime now)
    {
        Status = JobStates.Transition(Status, action);
        UpdatedAt = now;
        if (action == JobAction.Start) StartedAt ??= now;
        if (Status.IsTerminal()) CompletedAt = now;
        // The owner never writes RequestedAction, so a pause it carried out is still stored: a resume clears it,
        // or the next owner's heartbeat would pause the job again.
        if (Status != JobStatus.Running || action == JobAction.Resume) RequestedAction = null;
    }

    public void Complete(string stopReason, int? resultPromptId, DateTime now)
    {
        Apply(JobAction.Complete, now);
        StopReason = stopReason;
        ResultPromptId = resultPromptId;
    }

    public void Fail(string error, DateTime now)
    {
        Apply(JobAction.Fail, now);
        StopReason = StopReasons.Error;
        Error = error;
    }

    public void Cancel(DateTime now)
    {
        Apply(JobAction.Cancel, now);
        StopReason = StopReasons.Cancelled;
    }

    public void AddUsage(LlmUsage usage)
    {
        LlmCalls += usage.Calls;
        InputTokens += usage.InputTokens;
        OutputTokens += usage.OutputTokens;
        CostUsd += usage.CostUsd;
        CacheHits += usage.CacheHits;
    }

    public int Progress => Status == JobStatus.Completed ? 100 : (int)Math.Floor(100.0 * Math.Min(CompletedIterations, MaxIterations) / MaxIterations);
}

/// <summary>One iteration of a job; <see cref="Completed"/> is the checkpoint a resume starts after.</summary>
public sealed class JobIteration
{
    public Guid JobId { get; set; }
    public int Iteration { get; set; }
    public bool Completed { get; set; }
    public double? BestScore { get; set; }
    public DateTime StartedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
}

/// <summary>A candidate prompt of one iteration, its scores and per-item results once evaluated.</summary>
public sealed class JobCandidate
{
    public Guid JobId { get; set; }
    public int Iteration { get; set; }
    public int Index { get; set; }
    public string MutationKind { get; set; } = "";
    public string? SystemPrompt { get; set; }
    public string Template { get; set; } = "";
    public string? RejectedReason { get; set; }
    public double? Score { get; set; }
    public Dictionary<string, double>? MetricScores { get; set; }
    public List<ItemResult>? ItemResults { get; set; }
    /// <summary>Per-metric average and pass rate, computed with the evaluation so a results read never needs <see cref="ItemResults"/>.</summary>
    public List<MetricScorecard>? Scorecard { get; set; }
    public int LlmCalls { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public decimal CostUsd { get; set; }
    public DateTime? EvaluatedAt { get; set; }
}

/// <summary>An append-only, per-job numbered record of what happened (DESIGN §4).</summary>
public sealed class JobEvent
{
    public Guid JobId { get; set; }
    public long Id { get; set; }
    public string Type { get; set; } = "";
    public int? Iteration { get; set; }
    public string? Stage { get; set; }
    public string DataJson { get; set; } = "{}";
    public DateTime Timestamp { get; set; }
}
