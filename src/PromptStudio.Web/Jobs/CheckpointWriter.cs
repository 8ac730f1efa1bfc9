using Microsoft.EntityFrameworkCore;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Optimization;
using PromptStudio.Web.Data;

namespace PromptStudio.Web.Jobs;

/// <summary>The owner's write lost its lease: another worker holds the job now.</summary>
public sealed class LeaseLostException(Guid jobId) : Exception($"The lease on job {jobId} was taken over by another worker.");

/// <summary>
/// The owner's view of a running job. It buffers events and rows and writes them in one short transaction
/// at each durability point, fenced by the lease version, then publishes what it wrote. No transaction is
/// open while the optimizer waits for a model.
/// </summary>
public sealed class CheckpointWriter(
    IDbContextFactory<StudioDbContext> dbFactory,
    JobService jobs,
    OptimizationJob job,
    TimeSpan leaseDuration,
    TimeProvider time) : IOptimizationObserver
{
    private readonly HashSet<(int Iteration, int Index)> _savedCandidates = [];
    private readonly Dictionary<int, JobIteration> _iterations = [];
    private readonly List<JobEvent> _events = [];
    private readonly List<object> _added = [];
    private readonly List<object> _updated = [];
    private long _lastFlush = time.GetTimestamp();

    public OptimizationJob Job => job;

    /// <summary>Rows the checkpoint already holds: later writes of them are updates.</summary>
    public void MarkSaved(IEnumerable<(int Iteration, int Index)> candidates, IEnumerable<JobIteration> iterations)
    {
        _savedCandidates.UnionWith(candidates);
        foreach (var row in iterations) _iterations[row.Iteration] = row;
    }

    public void Event(string type, int? iteration, string? stage, object data) =>
        _events.Add(new JobEvent
        {
            JobId = job.Id,
            Id = ++job.LastEventId,
            Type = type,
            Iteration = iteration,
            Stage = stage,
            DataJson = System.Text.Json.JsonSerializer.Serialize(data, JobMapping.Json),
            Timestamp = Now,
        });

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public async ValueTask IterationStartedAsync(int iteration, CancellationToken cancellationToken)
    {
        if (!_iterations.ContainsKey(iteration))
        {
            var row = new JobIteration { JobId = job.Id, Iteration = iteration, StartedAt = Now };
            _iterations[iteration] = row;
            _added.Add(row);
            if (iteration >= 1)
            {
                try
                {
                    // Durability point: the iteration is charged to the workspace quota together with its row, so a
                    // resumed iteration is never charged twice.
                    await FlushAsync(cancellationToken, ChargeIterationAsync);
                }
                catch (StopOptimizationException)
                {
                    _added.Remove(row);
                    _iterations.Remove(iteration);
                    throw;
                }
            }
        }
        job.CurrentIteration = iteration;
        Event(JobEventTypes.IterationStart, iteration, Stage(iteration), new { iteration, maxIterations = job.MaxIterations });
    }

    private async Task ChargeIterationAsync(StudioDbContext db)
    {
        var charged = await db.Workspaces
            .Where(w => w.Id == job.WorkspaceId && w.IterationsUsed < w.IterationLimit)
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.IterationsUsed, w => w.IterationsUsed + 1));
        if (charged == 0)
            throw new StopOptimizationException(StopReasons.Quota, "The workspace has used all of its iteration-runs.");
    }

    public async ValueTask CandidatesProposedAsync(int iteration, IReadOnlyList<CandidateRecord> candidates, LlmUsage usage, CancellationToken cancellationToken)
    {
        job.AddUsage(usage);
        foreach (var c in candidates)
        {
            Save(c);
            Event(JobEventTypes.MutationGenerated, iteration, "mutation", new
            {
                index = c.Index,
                mutationKind = c.MutationKind,
                systemPrompt = c.Prompt.SystemPrompt,
                template = c.Prompt.Template,
                rejected = c.RejectedReason is not null,
                rejectedReason = c.RejectedReason,
            });
        }
        await FlushAsync(cancellationToken);
    }

    public async ValueTask EvaluationStartedAsync(CandidateRecord candidate, CancellationToken cancellationToken)
    {
        Event(JobEventTypes.EvaluationStart, candidate.Iteration, Stage(candidate.Iteration), new { index = candidate.Index, mutationKind = candidate.MutationKind });
        await FlushAsync(cancellationToken);
    }

    public async ValueTask CandidateEvaluatedAsync(CandidateRecord candidate, CancellationToken cancellationToken)
    {
        var evaluation = candidate.Evaluation!;
        job.AddUsage(evaluation.Usage);
        job.CurrentScore = evaluation.Score;
        Save(candidate);
        Event(JobEventTypes.EvaluationComplete, candidate.Iteration, Stage(candidate.Iteration), new
        {
            index = candidate.Index,
            mutationKind = candidate.MutationKind,
            score = evaluation.Score,
            metricScores = evaluation.MetricScores,
            passed = evaluation.Items.Count(i => i.Passed),
            failed = evaluation.FailedItems,
            items = evaluation.Items.Count,
            scorecard = evaluation.Scorecard,
        });
        // Durability point: this evaluation is never paid for again, whatever happens next.
        await FlushAsync(cancellationToken);
    }

    public async ValueTask IterationCompletedAsync(IterationSummary summary, CancellationToken cancellationToken)
    {
        var best = summary.Best;
        if (summary.Iteration == 0) job.BaselineScore = summary.BestScore;
        job.BestScore = summary.BestScore;
        job.BestPrompt = best.Prompt.Template;
        job.BestSystemPrompt = best.Prompt.SystemPrompt;
        job.CompletedIterations = summary.Iteration;
        var row = _iterations[summary.Iteration];
        row.Completed = true;
        row.BestScore = summary.BestScore;
        row.CompletedAt = Now;
        if (!_added.Contains(row)) _updated.Add(row);

        if (summary.ImprovedBest)
        {
            Event(JobEventTypes.NewBest, summary.Iteration, "selection", new
            {
                index = best.Index,
                mutationKind = best.MutationKind,
                score = summary.BestScore,
                previousBest = summary.PreviousBestScore,
                improvement = summary.BestScore - summary.PreviousBestScore,
                improvementOverBaseline = summary.BestScore - (job.BaselineScore ?? 0),
                systemPrompt = best.Prompt.SystemPrompt,
                template = best.Prompt.Template,
            });
        }
        Event(JobEventTypes.IterationComplete, summary.Iteration, "selection", new
        {
            iteration = summary.Iteration,
            bestScore = summary.BestScore,
            improved = summary.ImprovedBest,
            candidates = summary.Candidates.Count,
            evaluated = summary.Candidates.Count(c => c.IsEvaluated),
            rejected = summary.Candidates.Count(c => c.RejectedReason is not null),
            iterationBestScore = summary.Candidates.Where(c => c.IsEvaluated).Select(c => (double?)c.Evaluation!.Score).Max(),
        });
        // Durability point: a resume starts with the next iteration.
        await FlushAsync(cancellationToken);
    }

    private void Save(CandidateRecord c)
    {
        var row = new JobCandidate
        {
            JobId = job.Id,
            Iteration = c.Iteration,
            Index = c.Index,
            MutationKind = c.MutationKind,
            SystemPrompt = c.Prompt.SystemPrompt,
            Template = c.Prompt.Template,
            RejectedReason = c.RejectedReason,
            Score = c.Evaluation?.Score,
            MetricScores = c.Evaluation?.MetricScores.ToDictionary(kv => kv.Key, kv => kv.Value),
            ItemResults = c.Evaluation?.Items.ToList(),
            Scorecard = c.Evaluation is { Scorecard.Count: > 0 } e ? [.. e.Scorecard] : null,
            LlmCalls = c.Evaluation?.Usage.Calls ?? 0,
            InputTokens = c.Evaluation?.Usage.InputTokens ?? 0,
            OutputTokens = c.Evaluation?.Usage.OutputTokens ?? 0,
            CostUsd = c.Evaluation?.Usage.CostUsd ?? 0,
            EvaluatedAt = c.IsEvaluated ? Now : null,
        };
        (_savedCandidates.Add((c.Iteration, c.Index)) ? _added : _updated).Add(row);
    }

    private static string Stage(int iteration) => iteration == 0 ? "baseline" : "evaluation";

    /// <summary>
    /// Writes everything buffered in one transaction. The job row's update carries the lease version as its
    /// concurrency token: when another worker has claimed the job since, nothing is written and
    /// <see cref="LeaseLostException"/> is thrown.
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken, Func<StudioDbContext, Task>? prepare = null)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await using var transaction = prepare is null ? null : await db.Database.BeginTransactionAsync(CancellationToken.None);
        if (prepare is not null) await prepare(db);

        var now = Now;
        var elapsed = time.GetElapsedTime(_lastFlush);
        _lastFlush = time.GetTimestamp();
        job.ActiveSeconds += elapsed.TotalSeconds;
        job.UpdatedAt = now;
        if (job.LeaseOwner is not null) job.LeaseExpiresAt = now + leaseDuration;

        var entry = db.Jobs.Attach(job);
        entry.State = EntityState.Modified;
        // Users write RequestedAction; the owner only reads it.
        entry.Property(j => j.RequestedAction).IsModified = false;
        db.AddRange(_added);
        db.UpdateRange(_updated);
        db.JobEvents.AddRange(_events);
        try
        {
            // Deliberately not cancellable: a checkpoint that has started is finished, so progress is never half-written.
            await db.SaveChangesAsync(CancellationToken.None);
            if (transaction is not null) await transaction.CommitAsync(CancellationToken.None);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new LeaseLostException(job.Id);
        }

        var events = _events.ToArray();
        _events.Clear();
        _added.Clear();
        _updated.Clear();
        jobs.Announce(job.WorkspaceId, await jobs.ToDtoAsync(db, job, CancellationToken.None), events);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Lets the job go: paused, cancelled or (at shutdown) still running for the next worker to pick up.</summary>
    public void ReleaseLease()
    {
        job.LeaseOwner = null;
        job.LeaseExpiresAt = null;
    }
}
