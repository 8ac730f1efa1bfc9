using System.Text.Json;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;

namespace PromptStudio.Web.Components.Pages.Jobs;

/// <summary>One point per iteration of the score chart; iteration 0 is the baseline.</summary>
public sealed record ScorePoint(int Iteration, double? BestSoFar, double? IterationBest);

/// <summary>
/// What a job page shows, built from a snapshot and then kept current by the job's events, in id order.
/// Events at or below the last applied id are ignored (the snapshot and the live feed overlap on purpose);
/// an event further ahead than the next id is a gap the caller fills from the store first
/// (<see cref="IsGap"/>). A job snapshot replaces the header only when it is at least as new as the events.
/// </summary>
public sealed class JobLiveModel(JobDto job)
{
    public const int LogCapacity = 300;

    private readonly SortedDictionary<int, ScorePoint> _points = [];
    private readonly LinkedList<JobEventDto> _log = [];

    /// <summary>The job as last known: the newest snapshot with every later event folded in.</summary>
    public JobDto Job { get; private set; } = job;

    /// <summary>The id of the newest event applied.</summary>
    public long LastEventId { get; private set; }

    public IReadOnlyCollection<ScorePoint> Points => _points.Values;

    /// <summary>Iterations whose best-so-far score is known (completed iterations, baseline included).</summary>
    public int CompletedPoints => _points.Values.Count(p => p.BestSoFar is not null);

    /// <summary>The newest events first, at most <see cref="LogCapacity"/>.</summary>
    public IEnumerable<JobEventDto> Log => _log;

    public bool IsGap(JobEventDto e) => e.Id > LastEventId + 1;

    /// <summary>Applies an event; false when it was seen already.</summary>
    public bool Apply(JobEventDto e)
    {
        if (e.JobId != Job.Id || e.Id <= LastEventId) return false;
        LastEventId = e.Id;
        _log.AddFirst(e);
        if (_log.Count > LogCapacity) _log.RemoveLast();
        UpdateChart(e);
        // The snapshot already holds the effect of every event up to its own LastEventId.
        if (e.Id > Job.LastEventId) Job = Fold(Job, e);
        return true;
    }

    /// <summary>Takes a job snapshot unless the events applied are newer than it.</summary>
    public bool Apply(JobDto snapshot)
    {
        if (snapshot.Id != Job.Id || snapshot.LastEventId < Job.LastEventId) return false;
        Job = snapshot;
        return true;
    }

    private void UpdateChart(JobEventDto e)
    {
        if (e.Iteration is not { } iteration) return;
        var point = _points.GetValueOrDefault(iteration) ?? new ScorePoint(iteration, null, null);
        switch (e.Type)
        {
            case JobEventTypes.EvaluationComplete when Number(e.Data, "score") is { } score:
                _points[iteration] = point with { IterationBest = Math.Max(point.IterationBest ?? double.MinValue, score) };
                break;
            case JobEventTypes.IterationComplete:
                _points[iteration] = point with
                {
                    BestSoFar = Number(e.Data, "bestScore") ?? point.BestSoFar,
                    IterationBest = Number(e.Data, "iterationBestScore") ?? point.IterationBest,
                };
                break;
        }
    }

    private static JobDto Fold(JobDto job, JobEventDto e)
    {
        var d = e.Data;
        job = job with { LastEventId = e.Id, UpdatedAt = e.Timestamp };
        job = e.Type switch
        {
            JobEventTypes.JobStarted => WithStatus(job, JobStatus.Running) with { StartedAt = job.StartedAt ?? e.Timestamp, QueuePosition = null, QueueReason = null },
            JobEventTypes.JobResumed => WithStatus(job, JobStatus.Running),
            JobEventTypes.JobPaused => WithStatus(job, JobStatus.Paused),
            JobEventTypes.IterationStart => job with { CurrentIteration = e.Iteration ?? job.CurrentIteration },
            JobEventTypes.EvaluationComplete => job with { CurrentScore = Number(d, "score") ?? job.CurrentScore },
            JobEventTypes.NewBest => job with
            {
                BestScore = Number(d, "score") ?? job.BestScore,
                BestPrompt = Text(d, "template") ?? job.BestPrompt,
                BestSystemPrompt = d.TryGetProperty("systemPrompt", out _) ? Text(d, "systemPrompt") : job.BestSystemPrompt,
            },
            JobEventTypes.IterationComplete => job with
            {
                BestScore = Number(d, "bestScore") ?? job.BestScore,
                BaselineScore = e.Iteration == 0 ? Number(d, "bestScore") ?? job.BaselineScore : job.BaselineScore,
                Progress = job.MaxIterations > 0 ? (int)Math.Floor(100.0 * Math.Min(e.Iteration ?? 0, job.MaxIterations) / job.MaxIterations) : job.Progress,
            },
            JobEventTypes.JobComplete => WithStatus(job, JobStatus.Completed) with
            {
                Progress = 100,
                StopReason = Text(d, "stopReason") ?? job.StopReason,
                BestScore = Number(d, "bestScore") ?? job.BestScore,
                ResultPromptId = d.TryGetProperty("resultPromptId", out var r) && r.ValueKind == JsonValueKind.Number ? r.GetInt32() : job.ResultPromptId,
                CompletedAt = e.Timestamp,
            },
            JobEventTypes.JobFailed => WithStatus(job, JobStatus.Failed) with { Error = Text(d, "error") ?? job.Error, StopReason = StopReasons.Error, CompletedAt = e.Timestamp },
            JobEventTypes.JobCancelled => WithStatus(job, JobStatus.Cancelled) with { StopReason = StopReasons.Cancelled, CompletedAt = e.Timestamp },
            _ => job,
        };
        return job;
    }

    private static JobDto WithStatus(JobDto job, JobStatus status) => job with
    {
        Status = status.ToWire(),
        AllowedActions = JobStates.UserActions(status).Select(a => a.ToWire()).ToArray(),
    };

    internal static double? Number(JsonElement data, string name) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    internal static string? Text(JsonElement data, string name) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
