using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Llm;
using PromptStudio.Core.Metrics;
using PromptStudio.Core.Optimization;
using PromptStudio.Core.Prompts;
using PromptStudio.Core.Simulation;
using PromptStudio.Web.Data;
using PromptStudio.Web.Prompts;
using PromptStudio.Web.Providers;

namespace PromptStudio.Web.Jobs;

/// <summary>
/// Runs one job on this worker: claim it, rebuild its checkpoint, run the optimizer, and record how it
/// ended. Every outcome is written under the lease, so a worker that lost the job writes nothing.
/// </summary>
public sealed class JobRunner(
    IDbContextFactory<StudioDbContext> dbFactory,
    JobService jobs,
    JobQueue queue,
    RunningJobs running,
    IOptions<JobsOptions> options,
    TimeProvider time,
    ProviderRegistry providers,
    ILogger<JobRunner> logger)
{
    public async Task RunAsync(Guid jobId, CancellationToken stoppingToken)
    {
        var job = await ClaimAsync(jobId, stoppingToken);
        if (job is null) return;

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        running.TryAdd(jobId, cts);
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(job.Id, job.LeaseVersion, cts, heartbeatStop.Token);
        // One writer for the whole run, so events it buffered are written (in order, without gaps) however the run ends.
        var writer = Writer(job);
        var handBack = false;
        try
        {
            // A pause or cancel of a resumed job signalled between the claim and now found nothing to trip here; the row has it.
            if (job.Status == JobStatus.Running && await RequestedActionAsync(jobId, cts.Token) is not null) await cts.CancelAsync();
            await RunClaimedAsync(writer, cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            handBack = await StopAsync(writer, stoppingToken.IsCancellationRequested);
        }
        catch (LeaseLostException e)
        {
            // Another worker owns the job now; its checkpoints win and this one walks away.
            logger.LogWarning("{Message}", e.Message);
        }
        catch (Exception e)
        {
            await FailAsync(writer, e);
        }
        finally
        {
            running.Remove(jobId, cts);
            await heartbeatStop.CancelAsync();
            await heartbeat;
        }
        // Offered to the workers again only once this run is gone.
        if (handBack) queue.Enqueue(jobId);
    }

    /// <summary>
    /// Claims a queued job, or a running one that no live worker holds (resumed, released at shutdown, or
    /// whose owner's lease ran out). The claim is a compare-and-set on the lease version: it reads the epoch it
    /// found and moves it to the next one only if nobody else did meanwhile, so two claimers (two loops that
    /// read the same id, or two nodes) can never both believe they own the same epoch. Bumping the version also
    /// fences off any earlier owner. Returns null when another worker holds or just took the job.
    /// </summary>
    internal async Task<OptimizationJob?> ClaimAsync(Guid jobId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var node = options.Value.NodeId;
        var expires = now + options.Value.LeaseDuration;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var seen = await db.Jobs.AsNoTracking().Where(j => j.Id == jobId)
            .Select(j => new { j.LeaseVersion, j.Status, j.LeaseOwner, j.LeaseExpiresAt }).FirstOrDefaultAsync(ct);
        // A job waiting for its first checkpoint is still queued but already has an owner: it needs a free lease too.
        if (seen is null || seen.Status is not (JobStatus.Queued or JobStatus.Running) || (seen.LeaseOwner is not null && seen.LeaseExpiresAt >= now))
            return null;

        var epoch = seen.LeaseVersion;
        var claimed = db.Database.IsNpgsql()
            // Several nodes race for the same ids: SKIP LOCKED makes the losers claim nothing at once instead of
            // queueing behind the winner's row lock.
            ? await db.Database.ExecuteSqlInterpolatedAsync($"""
                UPDATE "Jobs" SET "LeaseOwner" = {node}, "LeaseExpiresAt" = {expires}, "LeaseVersion" = {epoch + 1}
                WHERE "Id" = (
                    SELECT "Id" FROM "Jobs"
                    WHERE "Id" = {jobId} AND "LeaseVersion" = {epoch} AND "Status" IN ('queued', 'running')
                      AND ("LeaseOwner" IS NULL OR "LeaseExpiresAt" < {now})
                    FOR UPDATE SKIP LOCKED)
                """, ct)
            // SQLite has one writer at a time: the conditional UPDATE is the compare-and-set.
            : await db.Jobs
                .Where(j => j.Id == jobId && j.LeaseVersion == epoch &&
                    (j.Status == JobStatus.Queued || j.Status == JobStatus.Running) &&
                    (j.LeaseOwner == null || j.LeaseExpiresAt < now))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(j => j.LeaseOwner, node)
                    .SetProperty(j => j.LeaseExpiresAt, expires)
                    .SetProperty(j => j.LeaseVersion, epoch + 1), ct);
        if (claimed == 0) return null;

        var job = await db.Jobs.AsNoTracking().FirstAsync(j => j.Id == jobId, ct);
        // Only a later claim could have moved the epoch since ours (our lease had to run out first): then it is theirs.
        return job.LeaseVersion == epoch + 1 ? job : null;
    }

    private async Task RunClaimedAsync(CheckpointWriter writer, CancellationToken ct)
    {
        var job = writer.Job;
        var wire = JsonSerializer.Deserialize<OptimizationConfigDto>(job.ConfigJson, JobMapping.Json)!;
        var config = OptimizationConfigParser.Parse(JobService.ToRaw(wire));

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var prompt = await db.Prompts.AsNoTracking().FirstAsync(p => p.Id == job.PromptId, ct);
        var items = await db.DatasetItems.AsNoTracking().Where(i => i.DatasetId == job.DatasetId).OrderBy(i => i.Id).ToListAsync(ct);
        var candidates = await db.JobCandidates.AsNoTracking().Where(c => c.JobId == job.Id).ToListAsync(ct);
        var iterations = await db.JobIterations.AsNoTracking().Where(i => i.JobId == job.Id).ToListAsync(ct);
        writer.MarkSaved(candidates.Select(c => (c.Iteration, c.Index)), iterations);

        var completed = iterations.Where(i => i.Completed).Select(i => i.Iteration).ToHashSet();
        if (job.Status == JobStatus.Queued)
        {
            job.Apply(JobAction.Start, time.GetUtcNow().UtcDateTime);
            writer.Event(JobEventTypes.JobStarted, 0, "lifecycle", new { node = options.Value.NodeId, model = config.EffectiveModel, dryRun = config.DryRun });
        }
        else
        {
            // Resumed after a pause, or picked up again after a restart: carry on after the last checkpoint.
            writer.Event(JobEventTypes.JobStarted, job.CurrentIteration, "lifecycle", new
            {
                node = options.Value.NodeId,
                model = config.EffectiveModel,
                dryRun = config.DryRun,
                resumedAfterIteration = completed.Count == 0 ? (int?)null : completed.Max(),
            });
        }
        await writer.FlushAsync(ct);

        var (train, heldOut) = Split(items, config.Tuning);
        var run = new OptimizationRun(prompt.Text, train, heldOut, config);
        var optimizer = config.DryRun ? CreateOptimizer(config) : await providers.CreateOptimizerAsync(job, config, ct);
        var saved = candidates.Select(ToRecord).ToList();
        TimeSpan? timeLeft = config.Tuning.TimeoutSeconds is { } limit ? TimeSpan.FromSeconds(limit - job.ActiveSeconds) : null;

        var outcome = await optimizer.RunAsync(run, saved, completed, writer, timeLeft, ct);
        await CompleteAsync(writer, prompt, outcome, heldOut.Count);
    }

    private static Optimizer CreateOptimizer(OptimizationConfig config)
    {
        var latency = TimeSpan.FromMilliseconds(config.Tuning.SimulatedLatencyMs);
        IChatClient chat = new SimulatedChatClient(config.Tuning.Seed, latency);
        var evaluator = new CandidateEvaluator(chat, config.EffectiveModel, new MetricScorer(config.Tuning.EvaluationMetrics),
            config.Tuning.Concurrency, config.Tuning.MaxFailedItemRatio, config.Tuning.Temperature, passAnswerKey: true);
        return new Optimizer(new SimulatedProposer(latency), evaluator);
    }

    /// <summary>A fixed, seed-determined split: the same items are held out on every resume.</summary>
    internal static (IReadOnlyList<EvalItem> Train, IReadOnlyList<EvalItem> HeldOut) Split(IReadOnlyList<Datasets.DatasetItem> items, TuningParameters tuning) =>
        ValidationSplit.Split(items.Select(i => i.ToEvalItem()).ToList(), tuning);

    private static CandidateRecord ToRecord(JobCandidate c) => new(
        c.Iteration, c.Index, new PromptText(c.SystemPrompt, c.Template), c.MutationKind, c.RejectedReason,
        c.Score is { } score
            ? new EvaluationResult(score, c.MetricScores ?? [], c.ItemResults ?? [], new LlmUsage(c.LlmCalls, c.InputTokens, c.OutputTokens, c.CostUsd)) { Scorecard = c.Scorecard ?? [] }
            : null);

    /// <summary>Records the outcome and, when the best prompt differs from the original, saves it as the prompt's next version.</summary>
    private async Task CompleteAsync(CheckpointWriter writer, Prompt original, OptimizationOutcome outcome, int heldOutCount)
    {
        var job = writer.Job;
        if (outcome.HeldOutUsage is { } heldOutUsage) job.AddUsage(heldOutUsage);
        if (outcome.BaselineHeldOut is { } hb && outcome.BestHeldOut is { } hs)
        {
            job.HeldOutItems = heldOutCount;
            job.HeldOutBaselineScore = hb.Score;
            job.HeldOutBestScore = hs.Score;
        }

        await writer.FlushAsync(CancellationToken.None, async db =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            int? resultId = null;
            if (outcome.Best.Prompt != original.Text)
            {
                // Jobs on other nodes may finish on the same prompt at the same moment; on PostgreSQL (read committed)
                // both would read the same latest version. A transaction-scoped lock per prompt group orders them;
                // SQLite's single writer already does.
                if (db.Database.IsNpgsql())
                {
                    var key = BitConverter.ToInt64(original.GroupId.ToByteArray(), 0);
                    await db.Database.ExecuteSqlInterpolatedAsync($"SELECT pg_advisory_xact_lock({key})");
                }
                var latest = await db.Prompts.Where(p => p.GroupId == original.GroupId && p.IsLatest).SingleAsync();
                var maxVersion = await db.Prompts.Where(p => p.GroupId == original.GroupId).MaxAsync(p => p.Version);
                var version = latest.NextVersion(maxVersion + 1, null,
                    $"Optimized by job {job.Id} from version {original.Version}: {outcome.Baseline.Evaluation!.Score:0.000} → {outcome.Best.Evaluation!.Score:0.000}.",
                    outcome.Best.Prompt.SystemPrompt, outcome.Best.Prompt.Template, job.CreatedBy, now, job.Id);
                db.Prompts.Add(version);
                await db.SaveChangesAsync();
                resultId = version.Id;
            }

            job.Complete(outcome.StopReason, resultId, now);
            writer.ReleaseLease();
            writer.Event(JobEventTypes.JobComplete, outcome.IterationsCompleted, "lifecycle", new
            {
                stopReason = outcome.StopReason,
                baselineScore = outcome.Baseline.Evaluation!.Score,
                bestScore = outcome.Best.Evaluation!.Score,
                improvement = outcome.Best.Evaluation.Score - outcome.Baseline.Evaluation.Score,
                iterations = outcome.IterationsCompleted,
                resultPromptId = resultId,
                heldOutBaselineScore = outcome.BaselineHeldOut?.Score,
                heldOutBestScore = outcome.BestHeldOut?.Score,
            });
        });
    }

    private async Task<string?> RequestedActionAsync(Guid jobId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Jobs.Where(j => j.Id == jobId).Select(j => j.RequestedAction).FirstAsync(ct);
    }

    /// <summary>
    /// The job's token was tripped: carry out the user's pause or cancel, or at shutdown hand the job back. True when
    /// the job was tripped without a request and still held: it should run on.
    /// </summary>
    private async Task<bool> StopAsync(CheckpointWriter writer, bool shuttingDown)
    {
        var job = writer.Job;
        var requested = await RequestedActionAsync(job.Id, CancellationToken.None);
        var now = time.GetUtcNow().UtcDateTime;
        writer.ReleaseLease();
        var handBack = false;
        if (requested == JobAction.Cancel.ToWire())
        {
            job.Cancel(now);
            writer.Event(JobEventTypes.JobCancelled, job.CurrentIteration, "lifecycle", new { requestedBy = "user", bestScore = job.BestScore });
        }
        else if (requested == JobAction.Pause.ToWire())
        {
            job.Apply(JobAction.Pause, now);
            writer.Event(JobEventTypes.JobPaused, job.CurrentIteration, "lifecycle", new { requestedBy = "user", completedIterations = job.CompletedIterations, bestScore = job.BestScore });
        }
        else
        {
            handBack = !shuttingDown;
        }

        // Durability point: at shutdown the job stays running with no owner, so the next start resumes it after its last checkpoint.
        try
        {
            await writer.FlushAsync(CancellationToken.None);
            // Tripped without a request: a control signal that outlived its request (delivered late through Redis), or
            // a request withdrawn. The lease was still ours (the write went through), so the job runs on.
            return handBack;
        }
        catch (LeaseLostException e)
        {
            logger.LogWarning("{Message}", e.Message);
            return false;
        }
    }

    private async Task FailAsync(CheckpointWriter writer, Exception error)
    {
        var job = writer.Job;
        logger.LogError(error, "Job {JobId} failed", job.Id);
        var message = error switch
        {
            EvaluationFailedException or InvalidOperationException or LlmProviderException or BudgetExceededException => error.Message,
            _ => $"{error.GetType().Name}: {error.Message}",
        };
        try
        {
            job.Fail(message, time.GetUtcNow().UtcDateTime);
            writer.ReleaseLease();
            writer.Event(JobEventTypes.JobFailed, job.CurrentIteration, "lifecycle", new { error = message, completedIterations = job.CompletedIterations, bestScore = job.BestScore });
            await writer.FlushAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is LeaseLostException or InvalidJobTransitionException)
        {
            logger.LogWarning(e, "Could not record the failure of job {JobId}", job.Id);
        }
    }

    private CheckpointWriter Writer(OptimizationJob job) =>
        new(dbFactory, jobs, job, options.Value.LeaseDuration, time);

    /// <summary>
    /// Renews the lease while the job runs and looks for a pause or cancel asked for elsewhere (another
    /// process, or a request that raced the claim). Losing the lease stops the job on this worker.
    /// </summary>
    private async Task HeartbeatAsync(Guid jobId, long leaseVersion, CancellationTokenSource job, CancellationToken stop)
    {
        var interval = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, options.Value.LeaseDuration.Ticks / 3));
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                await using var db = await dbFactory.CreateDbContextAsync(stop);
                var expires = time.GetUtcNow().UtcDateTime + options.Value.LeaseDuration;
                var renewed = await db.Jobs.Where(j => j.Id == jobId && j.LeaseVersion == leaseVersion && j.LeaseOwner != null)
                    .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseExpiresAt, expires), stop);
                var requested = renewed == 0 ? null : await db.Jobs.Where(j => j.Id == jobId).Select(j => j.RequestedAction).FirstAsync(stop);
                if (renewed == 0)
                {
                    // Fenced off: this worker stalled past its lease (a pause of the process, a partition) and another
                    // node claimed the job with a higher lease version. Nothing more is written from here.
                    logger.LogWarning("Lease on job {JobId} (version {LeaseVersion}) was lost to another worker; letting go", jobId, leaseVersion);
                }
                if (renewed == 0 || requested is not null)
                {
                    await job.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Lease heartbeat for job {JobId} failed", jobId);
        }
    }
}
