using PromptStudio.Core.Jobs;
using PromptStudio.Core.Llm;
using PromptStudio.Core.Prompts;

namespace PromptStudio.Core.Optimization;

/// <summary>What one run of the loop needs besides its checkpoint.</summary>
public sealed record OptimizationRun(
    PromptText Original,
    IReadOnlyList<EvalItem> TrainItems,
    IReadOnlyList<EvalItem> HeldOutItems,
    OptimizationConfig Config);

/// <summary>
/// The mutation-evaluation loop of DESIGN §2. It keeps no state of its own between calls: given the saved
/// candidates and finished iterations it rebuilds the best prompt and the patience count, then carries on
/// with the first unfinished iteration, reusing any candidate already proposed or evaluated there.
/// Proposals and evaluations are deterministic functions of what is saved, so a run that is paused and
/// resumed after any durability point ends exactly as one that ran straight through.
/// </summary>
public sealed class Optimizer(ICandidateProposer proposer, CandidateEvaluator evaluator)
{
    private const double Epsilon = 1e-9;

    public async Task<OptimizationOutcome> RunAsync(
        OptimizationRun run,
        IReadOnlyList<CandidateRecord> saved,
        IReadOnlySet<int> completedIterations,
        IOptimizationObserver observer,
        TimeSpan? timeLeft,
        CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeLeft is { } left) deadline.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);

        var state = new LoopState(run.Config);
        string stopReason;
        try
        {
            stopReason = await LoopAsync(run, saved, completedIterations, observer, state, deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The time limit, not the user, stopped it: the best prompt found so far is the result.
            if (state.Baseline is null) throw new TimeoutException("The time limit ran out before the baseline was scored.");
            stopReason = StopReasons.Timeout;
        }
        catch (StopOptimizationException stop) when (state.Baseline is not null)
        {
            // A limit outside the search (quota, budget) ended it cleanly: the best so far is the result.
            stopReason = stop.StopReason;
        }
        catch (BudgetExceededException e) when (state.Baseline is { } baseline)
        {
            // maxCostUsd / maxLlmCalls: stop cleanly with the best prompt so far; held-out scoring would spend more, so it is skipped.
            return new OptimizationOutcome(StopReasons.Budget, baseline, state.Best!, state.LastCompleted, HeldOutUsage: e.Spent);
        }
        // The time limit bounds the search only: held-out scoring is the report, so it cannot change why the run stopped.
        return await FinishAsync(run, stopReason, state.Baseline!, state.Best!, state.LastCompleted, cancellationToken);
    }

    /// <summary>Runs iterations until one of the stop rules says why to stop.</summary>
    private async Task<string> LoopAsync(
        OptimizationRun run,
        IReadOnlyList<CandidateRecord> saved,
        IReadOnlySet<int> completedIterations,
        IOptimizationObserver observer,
        LoopState state,
        CancellationToken ct)
    {
        var config = run.Config;
        var byIteration = saved.GroupBy(c => c.Iteration).ToDictionary(g => g.Key, g => g.OrderBy(c => c.Index).ToList());

        // Iteration 0: the baseline.
        var baseline = byIteration.GetValueOrDefault(0)?.FirstOrDefault(c => c.IsEvaluated);
        if (baseline is null || !completedIterations.Contains(0))
        {
            if (baseline is null)
            {
                await observer.IterationStartedAsync(0, ct);
                var pending = new CandidateRecord(0, 0, run.Original, MutationKinds.Baseline);
                await observer.EvaluationStartedAsync(pending, ct);
                baseline = pending with { Evaluation = await evaluator.EvaluateAsync(run.Original, run.TrainItems, ct) };
                await observer.CandidateEvaluatedAsync(baseline, ct);
            }
            await observer.IterationCompletedAsync(new IterationSummary(0, baseline.Evaluation!.Score, baseline.Evaluation.Score, baseline, false, [baseline]), ct);
        }
        state.Baseline = baseline;
        state.Best = baseline;
        byIteration[0] = [baseline];

        // Replay finished iterations to rebuild the best candidate and the stagnation count.
        string? stop = StopAfter(config, state, significant: true, iteration: 0);
        for (var iteration = 1; stop is null && completedIterations.Contains(iteration); iteration++)
        {
            var evaluated = byIteration.GetValueOrDefault(iteration)?.Where(c => c.IsEvaluated).ToList() ?? [];
            var significant = Adopt(state, evaluated);
            state.LastCompleted = iteration;
            stop = StopAfter(config, state, significant, iteration);
        }

        while (stop is null)
        {
            var iteration = state.LastCompleted + 1;
            await observer.IterationStartedAsync(iteration, ct);

            var candidates = byIteration.GetValueOrDefault(iteration);
            if (candidates is null || candidates.Count == 0)
                candidates = await ProposeAsync(run, state, iteration, observer, byIteration, ct);

            var evaluated = new List<CandidateRecord>();
            for (var i = 0; i < candidates.Count; i++)
            {
                var candidate = candidates[i];
                if (candidate.RejectedReason is not null) continue;
                if (!candidate.IsEvaluated)
                {
                    await observer.EvaluationStartedAsync(candidate, ct);
                    candidate = candidate with { Evaluation = await evaluator.EvaluateAsync(candidate.Prompt, run.TrainItems, ct) };
                    await observer.CandidateEvaluatedAsync(candidate, ct);
                    // Written back so later proposals choose their runner-up from the same evaluated candidates
                    // that a resumed run reads from its checkpoint.
                    candidates[i] = candidate;
                }
                evaluated.Add(candidate);
            }

            var previousBest = state.Best!.Evaluation!.Score;
            var significant = Adopt(state, evaluated);
            state.LastCompleted = iteration;
            await observer.IterationCompletedAsync(
                new IterationSummary(iteration, state.Best!.Evaluation!.Score, previousBest, state.Best, state.Best.Iteration == iteration, candidates),
                ct);
            stop = StopAfter(config, state, significant, iteration);
        }

        return stop;
    }

    private async Task<List<CandidateRecord>> ProposeAsync(
        OptimizationRun run, LoopState state, int iteration, IOptimizationObserver observer,
        Dictionary<int, List<CandidateRecord>> byIteration, CancellationToken ct)
    {
        var tuning = run.Config.Tuning;
        var runnerUp = byIteration.Values.SelectMany(c => c)
            .Where(c => c.IsEvaluated && c != state.Best && c.Prompt != state.Best!.Prompt)
            .OrderByDescending(c => c.Evaluation!.Score).ThenBy(c => c.Iteration).ThenBy(c => c.Index)
            .FirstOrDefault();
        var context = new ProposalContext(iteration, tuning.CandidatesPerIteration, state.Best!, runnerUp, run.TrainItems, tuning.MutationStrength, tuning.Seed);
        var proposals = await proposer.ProposeAsync(context, ct);

        var originalVariables = run.Original.Variables;
        var records = new List<CandidateRecord>();
        foreach (var (proposal, index) in proposals.Select((p, i) => (p, i)))
        {
            string? rejected = null;
            if (tuning.PreserveVariables)
            {
                var (dropped, invented) = PromptTemplate.CompareVariables(originalVariables, proposal.Prompt.Variables);
                if (dropped.Count > 0) rejected = $"drops variable(s) {string.Join(", ", dropped.Select(v => $"{{{{{v}}}}}"))}";
                else if (invented.Count > 0) rejected = $"invents variable(s) {string.Join(", ", invented.Select(v => $"{{{{{v}}}}}"))}";
            }
            if (rejected is null && records.Any(r => r.Prompt == proposal.Prompt)) rejected = "duplicate of another candidate";
            records.Add(new CandidateRecord(iteration, index + 1, proposal.Prompt, proposal.MutationKind, rejected));
        }

        var usage = proposals.Aggregate(LlmUsage.Zero, (a, p) => a + p.Usage);
        await observer.CandidatesProposedAsync(iteration, records, usage, ct);
        byIteration[iteration] = records;
        return records;
    }

    /// <summary>Keeps the iteration's best when it beats the current best; says whether the gain was significant.</summary>
    private static bool Adopt(LoopState state, IReadOnlyList<CandidateRecord> evaluated)
    {
        var top = evaluated.OrderByDescending(c => c.Evaluation!.Score).ThenBy(c => c.Index).FirstOrDefault();
        if (top is null) return false;
        var gain = top.Evaluation!.Score - state.Best!.Evaluation!.Score;
        if (gain <= Epsilon) return false;
        state.Best = top;
        return gain + Epsilon >= Math.Max(state.Config.Tuning.MinImprovement, Epsilon);
    }

    private static string? StopAfter(OptimizationConfig config, LoopState state, bool significant, int iteration)
    {
        state.Stagnant = significant ? 0 : state.Stagnant + 1;
        if (config.TargetScore is { } target && state.Best!.Evaluation!.Score + Epsilon >= target) return StopReasons.TargetReached;
        if (iteration == 0) return null;
        if (config.Patience is { } patience && state.Stagnant >= patience) return StopReasons.Patience;
        if (config.Patience is null && config.Tuning.MinImprovement > 0 && !significant) return StopReasons.MinImprovement;
        if (iteration >= config.MaxIterations) return StopReasons.MaxIterations;
        return null;
    }

    private async Task<OptimizationOutcome> FinishAsync(
        OptimizationRun run, string stopReason, CandidateRecord baseline, CandidateRecord best, int iterations, CancellationToken ct)
    {
        if (run.HeldOutItems.Count == 0) return new OptimizationOutcome(stopReason, baseline, best, iterations);

        // Held-out items never steer the search; they are scored once, for the report.
        var baselineHeldOut = await evaluator.EvaluateAsync(baseline.Prompt, run.HeldOutItems, ct);
        var bestHeldOut = best.Iteration == 0 ? baselineHeldOut : await evaluator.EvaluateAsync(best.Prompt, run.HeldOutItems, ct);
        var usage = best.Iteration == 0 ? baselineHeldOut.Usage : baselineHeldOut.Usage + bestHeldOut.Usage;
        return new OptimizationOutcome(stopReason, baseline, best, iterations, baselineHeldOut, bestHeldOut, usage);
    }

    private sealed class LoopState(OptimizationConfig config)
    {
        public OptimizationConfig Config { get; } = config;
        public CandidateRecord? Baseline { get; set; }
        public CandidateRecord? Best { get; set; }
        public int LastCompleted { get; set; }
        public int Stagnant { get; set; }
    }
}
