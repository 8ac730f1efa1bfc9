using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Metrics;
using PromptStudio.Core.Prompts;
using PromptStudio.Web.Api;
using PromptStudio.Web.Data;
using PromptStudio.Web.Providers;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Jobs;

/// <summary>
/// Starting and controlling jobs, shared by the REST API and the dashboard. A job that no worker owns
/// (queued, paused, or resumed and waiting for a worker) is changed here directly; a job a worker owns is
/// asked to stop through <see cref="OptimizationJob.RequestedAction"/>, and its owner carries that out.
/// Starting and controlling take the caller's resolved <see cref="WorkspaceContext"/> and check
/// <see cref="Permission.Write"/> here, so the API and the dashboard refuse a viewer the same way.
/// </summary>
public sealed class JobService(
    IDbContextFactory<StudioDbContext> dbFactory,
    JobQueue queue,
    RunningJobs running,
    JobEventBus bus,
    IJobEventPublisher publisher,
    IJobControl control,
    IOptions<JobsOptions> options,
    Auth.AuditLog audit,
    TimeProvider time,
    ProviderRegistry providers)
{
    public const int SmallDatasetThreshold = 5;

    public async Task<JobDto> StartAsync(WorkspaceContext ws, StartOptimizationRequest request, CancellationToken ct)
    {
        WorkspaceService.Require(ws, Permission.Write);
        var workspaceId = ws.WorkspaceId;
        var user = ws.UserName;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (rawConfig, config, prompt, dataset, model, warnings) = await ValidateStartAsync(db, workspaceId, request, ct);

        // Iterations are charged as they start; refuse up front a job that could not finish within the quota.
        var workspace = await db.Workspaces.AsNoTracking().FirstAsync(w => w.Id == workspaceId, ct);
        if (workspace.IterationsUsed + config.MaxIterations > workspace.IterationLimit)
            throw new QuotaExceededException(workspace.IterationsUsed, workspace.IterationLimit, config.MaxIterations);

        var now = time.GetUtcNow().UtcDateTime;
        var effective = rawConfig with { MaxIterations = config.MaxIterations, DryRun = config.DryRun, Model = model };
        var job = OptimizationJob.Create(workspaceId, prompt.Id, dataset.Id, JsonSerializer.Serialize(effective, JobMapping.Json),
            config.MaxIterations, warnings, user, now);
        db.Jobs.Add(job);
        var queued = AppendEvent(db, job, JobEventTypes.JobQueued, null, "lifecycle", new { promptId = prompt.Id, datasetId = dataset.Id, warnings }, now);
        await db.SaveChangesAsync(ct);

        // Durable first, then announced: a crash after SaveChanges still finds the job queued at start-up.
        queue.Enqueue(job.Id);
        var dto = await ToDtoAsync(db, job, ct);
        Announce(job.WorkspaceId, dto, queued);
        await audit.WriteAsync(workspaceId, user, "job.started", $"job {job.Id}", $"prompt {prompt.Id}, dataset {dataset.Id}, {config.MaxIterations} iterations{(config.DryRun ? ", dryRun" : "")}", ct);
        return dto;
    }

    /// <summary>A start request checked the way <see cref="StartAsync"/> checks it (the estimate shares it); throws naming every bad field.</summary>
    internal static async Task<ValidatedStart> ValidateStartAsync(StudioDbContext db, Guid workspaceId, StartOptimizationRequest request, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        var rawConfig = request.Config ?? new OptimizationConfigDto();
        var config = OptimizationConfigParser.TryParse(ToRaw(rawConfig), errors);

        var prompt = await db.Prompts.AsNoTracking().FirstOrDefaultAsync(p => p.Id == request.PromptId && p.WorkspaceId == workspaceId, ct);
        var dataset = await db.Datasets.AsNoTracking().Include(d => d.Items.OrderBy(i => i.Id))
            .FirstOrDefaultAsync(d => d.Id == request.DatasetId && d.WorkspaceId == workspaceId, ct);
        if (prompt is null) errors.Add("promptId", $"Prompt {request.PromptId} was not found.");
        if (dataset is null) errors.Add("datasetId", $"Dataset {request.DatasetId} was not found.");
        var model = config.EffectiveModel;
        if (!config.DryRun)
        {
            var serving = await ProviderRegistry.FindServingAsync(db, workspaceId, config.Model, ct);
            if (serving is null)
            {
                errors.Add("config.model", config.Model is null
                    ? "model is required unless dryRun is true, and no provider in this workspace has a default model; set dryRun to true to run with the simulated model."
                    : $"No provider in this workspace serves the model '{config.Model}'; configure a provider or set dryRun to true.");
            }
            else model = serving.Value.Model;
        }

        var warnings = new List<string>();
        if (prompt is not null && dataset is not null)
        {
            if (dataset.Items.Count == 0) errors.Add("datasetId", $"Dataset {dataset.Id} has no items to evaluate the prompt on.");
            CheckVariables(prompt.Variables, dataset, errors);
            if (dataset.Items.Count is > 0 and < SmallDatasetThreshold)
                warnings.Add($"The dataset has only {dataset.Items.Count} items; scores on fewer than {SmallDatasetThreshold} items are too noisy to trust.");
            if (dataset.Items.Any(i => i.ExpectedOutput is null))
                warnings.Add("Some items have no expected output; the deterministic metrics score them 0.");
        }
        if (!errors.IsEmpty) throw new DomainValidationException(errors);
        return new ValidatedStart(rawConfig, config, prompt!, dataset!, model, warnings);
    }

    public async Task<JobDto> GetAsync(Guid workspaceId, Guid jobId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await FindAsync(db, workspaceId, jobId, tracking: false, ct);
        return await ToDtoAsync(db, job, ct);
    }

    public async Task<IReadOnlyList<JobDto>> ListAsync(Guid workspaceId, string? status, int? limit, CancellationToken ct)
    {
        var take = limit ?? 50;
        if (take is < 1 or > 500) throw DomainValidationException.For("limit", $"limit must be between 1 and 500 (got {take}).");
        JobStatus? filter = null;
        if (!string.IsNullOrWhiteSpace(status))
        {
            if (!JobStates.TryParse(status, out var parsed))
                throw DomainValidationException.For("status", $"status must be one of {string.Join(", ", Enum.GetValues<JobStatus>().Select(s => s.ToWire()))} (got '{status}').");
            filter = parsed;
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Jobs.AsNoTracking().Where(j => j.WorkspaceId == workspaceId);
        if (filter is { } f) query = query.Where(j => j.Status == f);
        var jobs = await query.OrderByDescending(j => j.CreatedAt).Take(take).ToListAsync(ct);
        var positions = await QueuePositionsAsync(db, ct);
        return jobs.Select(j => j.ToDto(positions.GetValueOrDefault(j.Id), QueueReason(j))).ToList();
    }

    public Task<JobDto> PauseAsync(WorkspaceContext ws, Guid jobId, CancellationToken ct) => ControlAsync(ws, jobId, JobAction.Pause, ct);

    public Task<JobDto> CancelAsync(WorkspaceContext ws, Guid jobId, CancellationToken ct) => ControlAsync(ws, jobId, JobAction.Cancel, ct);

    public Task<JobDto> ResumeAsync(WorkspaceContext ws, Guid jobId, CancellationToken ct) => ControlAsync(ws, jobId, JobAction.Resume, ct);

    private async Task<JobDto> ControlAsync(WorkspaceContext ws, Guid jobId, JobAction action, CancellationToken ct)
    {
        WorkspaceService.Require(ws, Permission.Write);
        var result = await ApplyControlAsync(ws.WorkspaceId, jobId, action, ws.UserName, ct);
        await audit.WriteAsync(ws.WorkspaceId, ws.UserName, $"job.{action.ToWire()}", $"job {jobId}", $"now {result.Status}", ct);
        return result;
    }

    private async Task<JobDto> ApplyControlAsync(Guid workspaceId, Guid jobId, JobAction action, string actor, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var job = await FindAsync(db, workspaceId, jobId, tracking: true, ct);
            var now = time.GetUtcNow().UtcDateTime;
            try
            {
                if (job.Status == JobStatus.Running && job.LeaseOwner is not null && action != JobAction.Resume)
                {
                    // A worker owns it: ask, and let the owner stop at a safe point and record the change.
                    job.RequestedAction = action.ToWire();
                    await db.SaveChangesAsync(ct);
                    // The owner may run on another node: the signal reaches it there too (Redis), else its heartbeat reads the row.
                    control.Interrupt(jobId);
                    return await WaitUntilStoppedAsync(workspaceId, jobId, ct);
                }

                var type = action switch
                {
                    JobAction.Pause => JobEventTypes.JobPaused,
                    JobAction.Resume => JobEventTypes.JobResumed,
                    _ => JobEventTypes.JobCancelled,
                };
                if (action == JobAction.Cancel) job.Cancel(now);
                else job.Apply(action, now);
                var e = AppendEvent(db, job, type, job.CurrentIteration, "lifecycle", new { requestedBy = actor }, now);
                // LeaseVersion is the concurrency token: if a worker claimed the job meanwhile, this throws and we look again.
                // The claiming worker may also have written the event id taken here, and SQLite reports that duplicate
                // key before the token check: the same race, so it is retried the same way (the transaction rolled back).
                await db.SaveChangesAsync(ct);

                if (action == JobAction.Resume) queue.Enqueue(jobId);
                var dto = await ToDtoAsync(db, job, ct);
                Announce(job.WorkspaceId, dto, e);
                return dto;
            }
            catch (DbUpdateException) when (attempt < 5)
            {
            }
        }
    }

    private async Task<JobDto> WaitUntilStoppedAsync(Guid workspaceId, Guid jobId, CancellationToken ct)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = bus.SubscribeJob(jobId, e =>
        {
            if (e.Type is JobEventTypes.JobPaused or JobEventTypes.JobCancelled or JobEventTypes.JobComplete or JobEventTypes.JobFailed)
                stopped.TrySetResult();
        });
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.ControlTimeout);
        while (!timeout.IsCancellationRequested)
        {
            var job = await GetAsync(workspaceId, jobId, ct);
            if (job.Status != JobStatus.Running.ToWire()) return job;
            // The owner may be another process: the event bus wakes us at once here, the poll covers the rest.
            await Task.WhenAny(stopped.Task, Task.Delay(TimeSpan.FromMilliseconds(250), timeout.Token));
        }
        return await GetAsync(workspaceId, jobId, ct);
    }

    public async Task<IReadOnlyList<JobEventDto>> GetEventsAsync(Guid workspaceId, Guid jobId, long afterEventId, int? limit, CancellationToken ct)
    {
        var take = limit ?? 1000;
        if (take is < 1 or > 5000) throw DomainValidationException.For("limit", $"limit must be between 1 and 5000 (got {take}).");
        if (afterEventId < 0) throw DomainValidationException.For("afterEventId", $"afterEventId must be 0 or more (got {afterEventId}).");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await FindAsync(db, workspaceId, jobId, tracking: false, ct);
        return await ReadEventsAsync(db, jobId, afterEventId, take, ct);
    }

    public static async Task<IReadOnlyList<JobEventDto>> ReadEventsAsync(StudioDbContext db, Guid jobId, long afterEventId, int take, CancellationToken ct)
    {
        var events = await db.JobEvents.AsNoTracking()
            .Where(e => e.JobId == jobId && e.Id > afterEventId)
            .OrderBy(e => e.Id).Take(take).ToListAsync(ct);
        return events.Select(e => e.ToDto()).ToList();
    }

    public async Task<JobResultsDto> GetResultsAsync(Guid workspaceId, Guid jobId, bool includeItems, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await FindAsync(db, workspaceId, jobId, tracking: false, ct);
        var original = await db.Prompts.AsNoTracking().FirstAsync(p => p.Id == job.PromptId, ct);
        var iterations = await db.JobIterations.AsNoTracking().Where(i => i.JobId == jobId).OrderBy(i => i.Iteration).ToListAsync(ct);
        // The job page reads this once a second while a job runs: per-item results, most of a candidate's bytes,
        // are read only when asked for; the scorecard was computed with the evaluation.
        var candidates = await db.JobCandidates.AsNoTracking().Where(c => c.JobId == jobId)
            .OrderBy(c => c.Iteration).ThenBy(c => c.Index)
            .Select(c => new CandidateRow(c.Iteration, c.Index, c.MutationKind, c.SystemPrompt, c.Template, c.Score, c.MetricScores, c.RejectedReason, c.Scorecard))
            .ToListAsync(ct);
        var items = includeItems ? await ItemResultsAsync(db, jobId, onlyWithoutScorecard: false, ct) : null;
        var scorecards = await ScorecardsAsync(db, job, candidates, items, ct);

        var bestKey = BestCandidateKey(candidates, iterations);
        var rows = iterations.Select(i =>
        {
            var own = candidates.Where(c => c.Iteration == i.Iteration).ToList();
            var top = own.Where(c => c.Score is not null).OrderByDescending(c => c.Score).ThenBy(c => c.Index).FirstOrDefault();
            return new IterationDto(
                i.Iteration,
                i.BestScore,
                i.Completed,
                own.Select(c => new CandidateDto(
                    c.Iteration, c.Index, c.MutationKind, c.SystemPrompt, c.Template, c.Score, c.MetricScores, c.RejectedReason,
                    (c.Iteration, c.Index) == bestKey,
                    items?.GetValueOrDefault((c.Iteration, c.Index))?.Select(r => new ItemResultDto(r.ItemId, r.Output, r.Score, r.MetricScores, r.Passed, r.Error, r.Reasoning)).ToList(),
                    scorecards.GetValueOrDefault((c.Iteration, c.Index)))).ToList(),
                top?.Index,
                top is null ? null : scorecards.GetValueOrDefault((top.Iteration, top.Index)));
        }).ToList();

        HeldOutDto? heldOut = null;
        if (job.HeldOutItems > 0 && job.HeldOutBaselineScore is { } hb && job.HeldOutBestScore is { } hs)
        {
            var trainGain = (job.BestScore ?? 0) - (job.BaselineScore ?? 0);
            var warning = trainGain > 0 && hs - hb < trainGain / 2
                ? $"The gain on training items ({trainGain:+0.000;-0.000}) does not hold on the {job.HeldOutItems} held-out items ({hs - hb:+0.000;-0.000})."
                : null;
            heldOut = new HeldOutDto(job.HeldOutItems, hb, hs, warning);
        }

        return new JobResultsDto(
            job.Id, job.Status.ToWire(), job.BaselineScore, job.BestScore,
            job.BestScore is { } b && job.BaselineScore is { } a ? b - a : null,
            job.StopReason, job.ResultPromptId, original.Template, original.SystemPrompt,
            job.BestPrompt, job.BestSystemPrompt, heldOut,
            new UsageDto(job.LlmCalls, job.InputTokens, job.OutputTokens, job.CostUsd, job.CacheHits),
            rows,
            scorecards.GetValueOrDefault(bestKey));
    }

    /// <summary>A candidate without its per-item results.</summary>
    private sealed record CandidateRow(
        int Iteration, int Index, string MutationKind, string? SystemPrompt, string Template, double? Score,
        Dictionary<string, double>? MetricScores, string? RejectedReason, List<MetricScorecard>? Scorecard);

    private static async Task<Dictionary<(int, int), List<Core.Optimization.ItemResult>>> ItemResultsAsync(
        StudioDbContext db, Guid jobId, bool onlyWithoutScorecard, CancellationToken ct)
    {
        var query = db.JobCandidates.AsNoTracking().Where(c => c.JobId == jobId && c.ItemResults != null);
        if (onlyWithoutScorecard) query = query.Where(c => c.Score != null && c.Scorecard == null);
        var rows = await query.Select(c => new { c.Iteration, c.Index, c.ItemResults }).ToListAsync(ct);
        return rows.ToDictionary(r => (r.Iteration, r.Index), r => r.ItemResults!);
    }

    /// <summary>
    /// Each evaluated candidate's scorecard as stored. Candidates evaluated before scorecards were stored get
    /// theirs computed from their item results, which are read for those candidates only.
    /// </summary>
    private static async Task<Dictionary<(int, int), IReadOnlyList<MetricScorecardDto>>> ScorecardsAsync(
        StudioDbContext db, OptimizationJob job, IReadOnlyList<CandidateRow> candidates,
        Dictionary<(int, int), List<Core.Optimization.ItemResult>>? items, CancellationToken ct)
    {
        var cards = candidates.Where(c => c.Scorecard is not null)
            .ToDictionary(c => (c.Iteration, c.Index), c => (IReadOnlyList<MetricScorecardDto>)c.Scorecard!.Select(JobMapping.ToDto).ToList());
        if (!candidates.Any(c => c.Score is not null && c.Scorecard is null)) return cards;

        var metrics = OptimizationConfigParser.Parse(ToRaw(JsonSerializer.Deserialize<OptimizationConfigDto>(job.ConfigJson, JobMapping.Json)!)).Tuning.EvaluationMetrics;
        foreach (var (key, results) in items ?? await ItemResultsAsync(db, job.Id, onlyWithoutScorecard: true, ct))
            cards.TryAdd(key, Scorecard.Compute(metrics, results).Select(JobMapping.ToDto).ToList());
        return cards;
    }

    /// <summary>The candidate the job holds as best: the top score of the finished iterations, earliest first on ties.</summary>
    private static (int, int) BestCandidateKey(IReadOnlyList<CandidateRow> candidates, IReadOnlyList<JobIteration> iterations)
    {
        var done = iterations.Where(i => i.Completed).Select(i => i.Iteration).ToHashSet();
        var best = candidates.Where(c => c.Score is not null && done.Contains(c.Iteration))
            .OrderByDescending(c => c.Score).ThenBy(c => c.Iteration).ThenBy(c => c.Index).FirstOrDefault();
        return best is null ? (-1, -1) : (best.Iteration, best.Index);
    }

    internal static JobEvent AppendEvent(StudioDbContext db, OptimizationJob job, string type, int? iteration, string? stage, object data, DateTime now)
    {
        job.LastEventId++;
        var e = new JobEvent
        {
            JobId = job.Id,
            Id = job.LastEventId,
            Type = type,
            Iteration = iteration,
            Stage = stage,
            DataJson = JsonSerializer.Serialize(data, JobMapping.Json),
            Timestamp = now,
        };
        db.JobEvents.Add(e);
        return e;
    }

    internal void Announce(Guid workspaceId, JobDto job, params JobEvent[] events)
    {
        publisher.Publish(events.Select(e => e.ToDto()).ToList());
        publisher.PublishJob(workspaceId, job);
    }

    internal async Task<JobDto> ToDtoAsync(StudioDbContext db, OptimizationJob job, CancellationToken ct)
    {
        int? position = null;
        if (job.Status == JobStatus.Queued)
        {
            position = 1 + await db.Jobs.CountAsync(j => j.Status == JobStatus.Queued &&
                (j.CreatedAt < job.CreatedAt || (j.CreatedAt == job.CreatedAt && j.Id.CompareTo(job.Id) < 0)), ct);
        }
        return job.ToDto(position, QueueReason(job));
    }

    private static async Task<Dictionary<Guid, int>> QueuePositionsAsync(StudioDbContext db, CancellationToken ct)
    {
        var queued = await db.Jobs.AsNoTracking().Where(j => j.Status == JobStatus.Queued)
            .OrderBy(j => j.CreatedAt).Select(j => j.Id).ToListAsync(ct);
        return queued.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i + 1);
    }

    private string? QueueReason(OptimizationJob job)
    {
        // Best effort: a running job whose provider has calls waiting for a slot or a request token is probably waiting too.
        if (job.Status == JobStatus.Running && job.LeaseOwner is not null) return providers.SaturationReason(job.WorkspaceId, job.ConfigJson);
        if (job.Status is not (JobStatus.Queued or JobStatus.Running)) return null;
        var max = options.Value.MaxConcurrentJobs;
        return running.Count >= max
            ? $"Waiting for a free worker: all {max} workers are busy."
            : "Waiting for a worker to pick it up.";
    }

    private static async Task<OptimizationJob> FindAsync(StudioDbContext db, Guid workspaceId, Guid jobId, bool tracking, CancellationToken ct)
    {
        var query = tracking ? db.Jobs : db.Jobs.AsNoTracking();
        return await query.FirstOrDefaultAsync(j => j.Id == jobId && j.WorkspaceId == workspaceId, ct)
            ?? throw new NotFoundException("Job", jobId);
    }

    private static void CheckVariables(IReadOnlyList<string> variables, Datasets.Dataset dataset, ValidationErrors errors)
    {
        foreach (var (item, index) in dataset.Items.Select((item, index) => (item, index)))
        {
            var missing = variables.FirstOrDefault(v => !item.Input.ContainsKey(v));
            if (missing is null) continue;
            var label = item.Name is null ? $"item {item.Id} (#{index + 1})" : $"item {item.Id} '{item.Name}' (#{index + 1})";
            errors.Add("datasetId", $"Dataset {dataset.Id}: {label} has no value for the variable '{missing}' that the prompt uses.");
            return;
        }
    }

    public static RawOptimizationConfig ToRaw(OptimizationConfigDto dto) =>
        new(dto.MaxIterations, dto.TargetScore, dto.Patience, dto.Model, dto.DryRun, dto.TuningParams);

    public static IReadOnlyDictionary<string, string> ToStrings(Dictionary<string, JsonElement>? values) =>
        values?.ToDictionary(kv => kv.Key, kv => kv.Value.ValueKind == JsonValueKind.String ? kv.Value.GetString()! : kv.Value.GetRawText(), StringComparer.Ordinal)
        ?? new Dictionary<string, string>(StringComparer.Ordinal);

    internal static PromptText TextOf(Prompts.Prompt prompt) => new(prompt.SystemPrompt, prompt.Template);
}

/// <summary>A start request that passed validation: the config as sent and parsed, what it names, the model it will call, warnings.</summary>
internal sealed record ValidatedStart(
    OptimizationConfigDto RawConfig, OptimizationConfig Config, Prompts.Prompt Prompt, Datasets.Dataset Dataset, string Model, List<string> Warnings);
