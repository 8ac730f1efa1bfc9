using System.Globalization;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Llm;
using PromptStudio.Core.Metrics;
using PromptStudio.Core.Prompts;

namespace PromptStudio.Core.Optimization;

/// <summary>LLM calls, tokens and cost of a run that has not happened; <see cref="CostUsd"/> is null when a model has no price.</summary>
public sealed record UsageEstimate(long LlmCalls, long InputTokens, long OutputTokens, decimal? CostUsd);

/// <summary>What one role of the run (the model under test, the mutator, the judge) is expected to use.</summary>
public sealed record RoleUsageEstimate(string Role, string Model, ModelPrice? Price, UsageEstimate UpperBound, UsageEstimate Typical);

/// <summary>A pre-run estimate: a bound that assumes every iteration runs and a typical case; both ignore the cache.</summary>
public sealed record RunEstimate(
    bool Simulated,
    int TrainItems,
    int HeldOutItems,
    int Iterations,
    int TypicalIterations,
    UsageEstimate UpperBound,
    UsageEstimate Typical,
    IReadOnlyList<RoleUsageEstimate> Roles,
    IReadOnlyList<string> UnpricedModels,
    IReadOnlyList<string> Notes);

/// <summary>
/// Estimates a job's LLM calls, tokens and cost before it runs, from its configuration, its prompt and the
/// items of its dataset. The call count of the upper bound is exact for a run that goes to
/// <c>maxIterations</c> without cache hits: the baseline on the training items, then per iteration one
/// mutation call per candidate (every operator of <see cref="LlmProposer"/>, the failure-driven rewrite
/// included, asks for its critique and rewrite in one call) and one call per training item per candidate,
/// plus one <c>llm_judge</c> call per item per judge metric, and finally the baseline and the best prompt on
/// the held-out items. <c>semantic_similarity</c> embeds locally and calls no provider. Tokens are counted at
/// four characters a token; outputs and rewritten prompts can only be guessed, so both scenarios use the
/// assumptions of <see cref="Scenario"/>. The cache makes the real numbers lower, never higher.
/// </summary>
public static class RunEstimator
{
    public const string EvaluationRole = "evaluation";
    public const string MutationRole = "mutation";
    public const string JudgeRole = "judge";

    /// <summary>Chat formats wrap each message and the reply in a few tokens (OpenAI's rule of thumb: 4 and 3).</summary>
    internal const int MessageOverhead = 4;
    internal const int CallOverhead = 3;

    /// <summary>The answer length assumed for an item that has no expected output to measure.</summary>
    internal const int DefaultAnswerTokens = 100;

    /// <summary>The operator's own instructions in a mutation request (the longest, failure-driven, is about this).</summary>
    internal const int MutationAssignmentTokens = 60;

    /// <summary>The critique a failure-driven rewrite writes before the new prompt.</summary>
    internal const int CritiqueTokens = 100;

    /// <summary>A judge's verdict: its reasoning plus a rating per criterion.</summary>
    internal const int JudgeReasoningTokens = 40;
    internal const int JudgeTokensPerCriterion = 10;

    /// <summary>
    /// The guesses behind one column. <paramref name="PromptGrowth"/>: how much longer a candidate prompt is
    /// than the original (added constraints, worked examples). <paramref name="OutputFactor"/> and
    /// <paramref name="AnswerFloor"/>: how much longer than the expected output the model answers (and any
    /// generated text runs). <paramref name="ItemsShownToMutator"/>: items with their outputs quoted in a
    /// mutation request.
    /// </summary>
    internal sealed record Scenario(double PromptGrowth, double OutputFactor, double AnswerFloor, int ItemsShownToMutator);

    internal static readonly Scenario Typical = new(1.5, 1, 0, LlmProposer.MaxExamples);
    internal static readonly Scenario Upper = new(3, 3, 64, LlmProposer.MaxFailuresShown);

    /// <param name="model">The model under test as the job will call it (the workspace default resolved; ignored in dryRun).</param>
    /// <param name="priceOf">The price of a model from the provider that serves it, or null when it has none.</param>
    public static RunEstimate Estimate(
        OptimizationConfig config, string model, PromptText prompt, IReadOnlyList<EvalItem> items, Func<string, ModelPrice?> priceOf)
    {
        var tuning = config.Tuning;
        var (train, heldOut) = ValidationSplit.Split(items, tuning);
        var simulated = config.DryRun;
        // dryRun simulates the model under test and the mutator; its judge is a token-overlap stand-in with no calls.
        IReadOnlyList<MetricSpec> judges = simulated ? [] : tuning.EvaluationMetrics.Where(m => m.Type == MetricSpec.LlmJudge).ToList();
        var evaluationModel = simulated ? OptimizationConfig.SimulatedModel : model;
        var roles = new List<(string Role, string Model)>
        {
            (EvaluationRole, evaluationModel),
            (MutationRole, simulated ? evaluationModel : tuning.MutationModel ?? model),
        };
        if (judges.Count > 0) roles.Add((JudgeRole, tuning.JudgeModel ?? model));

        var typicalIterations = TypicalIterations(config);
        var sizes = new Sizes(prompt, train, heldOut, judges, tuning.MutationStrength);
        var upper = sizes.Usage(Upper, config.MaxIterations, tuning.CandidatesPerIteration);
        var typical = sizes.Usage(Typical, typicalIterations, tuning.CandidatesPerIteration);

        var prices = roles.Select(r => r.Model).Distinct(StringComparer.Ordinal)
            .ToDictionary(m => m, m => simulated ? new ModelPrice(0, 0) : priceOf(m), StringComparer.Ordinal);
        var rows = roles.Select(r => new RoleUsageEstimate(
            r.Role, r.Model, simulated ? null : prices[r.Model],
            Priced(upper[r.Role], prices[r.Model]),
            Priced(typical[r.Role], prices[r.Model]))).ToList();
        var unpriced = prices.Where(p => p.Value is null).Select(p => p.Key).ToList();

        var estimate = new RunEstimate(
            simulated, train.Count, heldOut.Count, config.MaxIterations, typicalIterations,
            Sum(rows.Select(r => r.UpperBound)), Sum(rows.Select(r => r.Typical)), rows, unpriced, []);
        return estimate with { Notes = Notes(config, estimate) };
    }

    /// <summary>
    /// Iterations a typical run makes. With <c>patience</c> the search is assumed to stop improving halfway
    /// through <c>maxIterations</c> and then wait out its patience; with only <c>minImprovement</c> it stops
    /// at the first small gain, assumed halfway too. <c>targetScore</c> cannot be foreseen, so it is ignored.
    /// </summary>
    internal static int TypicalIterations(OptimizationConfig config)
    {
        var max = config.MaxIterations;
        var half = (max + 1) / 2;
        if (config.Patience is { } patience) return Math.Min(max, half + patience);
        if (config.Tuning.MinImprovement > 0) return Math.Min(max, half + 1);
        return max;
    }

    /// <summary>Four characters a token, the usual rule for English text.</summary>
    internal static long Tokens(string? text) => string.IsNullOrEmpty(text) ? 0 : (text.Length + 3) / 4;

    private static UsageEstimate Priced((long Calls, double Input, double Output) usage, ModelPrice? price)
    {
        var input = (long)Math.Ceiling(usage.Input);
        var output = (long)Math.Ceiling(usage.Output);
        return new UsageEstimate(usage.Calls, input, output, price?.Cost(input, output));
    }

    private static UsageEstimate Sum(IEnumerable<UsageEstimate> parts)
    {
        var list = parts.ToList();
        return new UsageEstimate(
            list.Sum(p => p.LlmCalls), list.Sum(p => p.InputTokens), list.Sum(p => p.OutputTokens),
            list.Any(p => p.CostUsd is null) ? null : list.Sum(p => p.CostUsd!.Value));
    }

    private static IReadOnlyList<string> Notes(OptimizationConfig config, RunEstimate estimate)
    {
        var notes = new List<string>();
        if (estimate.Simulated) notes.Add("Simulated: no cost. A dry run calls no provider; the calls and tokens are the simulator's.");
        notes.Add($"Upper bound: all {config.MaxIterations} iterations run, every candidate is evaluated and no answer comes from the cache. Cached calls cost nothing, so a resumed or repeated job costs less.");
        if (estimate.TypicalIterations < config.MaxIterations)
            notes.Add($"Typical: the job stops after about {estimate.TypicalIterations} iterations ({(config.Patience is { } p ? $"patience {p}" : "minImprovement")}), with answers as long as the expected outputs.");
        else
            notes.Add("Typical: answers as long as the expected outputs and candidates half again as long as the prompt; a targetScore or patience can stop the job sooner.");
        foreach (var model in estimate.UnpricedModels)
            notes.Add($"No price is known for the model '{model}': the cost is unknown.");
        if (!estimate.Simulated && config.Tuning.MaxLlmCalls is { } maxCalls && maxCalls < estimate.UpperBound.LlmCalls)
            notes.Add($"maxLlmCalls ({maxCalls}) is below the upper bound: the job may stop early with stopReason budget.");
        if (!estimate.Simulated && config.Tuning.MaxCostUsd is { } maxCost && estimate.UpperBound.CostUsd is { } cost && (decimal)maxCost < cost)
            notes.Add($"maxCostUsd ({((decimal)maxCost).ToString("0.####", CultureInfo.InvariantCulture)}) is below the upper bound: the job may stop early with stopReason budget.");
        return notes;
    }

    /// <summary>The token sizes of the prompt and the items, measured once; <see cref="Usage"/> applies a scenario.</summary>
    private sealed class Sizes
    {
        private readonly long _promptTokens;
        private readonly int _messages;
        private readonly long _mutationInstructions;
        private readonly IReadOnlyList<Item> _train;
        private readonly IReadOnlyList<Item> _heldOut;
        private readonly IReadOnlyList<(long Instructions, int Criteria)> _judges;

        private sealed record Item(long Rendered, long Inputs, long Expected, long JudgeCase);

        public Sizes(PromptText prompt, IReadOnlyList<EvalItem> train, IReadOnlyList<EvalItem> heldOut, IReadOnlyList<MetricSpec> judges, double mutationStrength)
        {
            _promptTokens = Tokens(prompt.SystemPrompt) + Tokens(prompt.Template);
            _messages = string.IsNullOrWhiteSpace(prompt.SystemPrompt) ? 1 : 2;
            _mutationInstructions = Tokens(LlmProposer.SystemInstructions(prompt, mutationStrength));
            _judges = judges.Select(j => j.Criteria ?? JudgeCriterion.Default).Select(c => (Tokens(LlmJudge.Instructions(c)), c.Count)).ToList();
            var hasJudge = _judges.Count > 0;
            Item Measure(EvalItem i) => new(
                Tokens(RenderOrRaw(prompt.SystemPrompt, i)) + Tokens(RenderOrRaw(prompt.Template, i)),
                i.Input.Values.Sum(Tokens),
                i.ExpectedOutput is null ? DefaultAnswerTokens : Tokens(i.ExpectedOutput),
                hasJudge ? Tokens(LlmJudge.Case(i, "")) : 0);
            _train = train.Select(Measure).ToList();
            _heldOut = heldOut.Select(Measure).ToList();
        }

        private static string? RenderOrRaw(string? template, EvalItem item)
        {
            if (string.IsNullOrWhiteSpace(template)) return null;
            try { return PromptTemplate.Render(template, item.Input); }
            catch (MissingVariableException) { return template; }
        }

        /// <summary>Calls and tokens per role for a run of <paramref name="iterations"/> iterations under a scenario.</summary>
        public Dictionary<string, (long Calls, double Input, double Output)> Usage(Scenario s, int iterations, int candidates)
        {
            double Answer(Item i) => Math.Max(s.OutputFactor * i.Expected, s.AnswerFloor);
            var extraPrompt = (s.PromptGrowth - 1) * _promptTokens;
            var evaluationOverhead = CallOverhead + MessageOverhead * _messages;

            // Evaluations: (items, extra prompt tokens, how many times): the baseline, every candidate, then held-out baseline and best.
            var candidateEvaluations = (long)iterations * candidates;
            var evaluations = new List<(IReadOnlyList<Item> Items, double Extra, long Times)> { (_train, 0, 1), (_train, extraPrompt, candidateEvaluations) };
            if (_heldOut.Count > 0) evaluations.AddRange([(_heldOut, 0, 1), (_heldOut, extraPrompt, 1)]);

            (long Calls, double Input, double Output) evaluation = (0, 0, 0), judge = (0, 0, 0);
            foreach (var (items, extra, times) in evaluations)
            {
                evaluation.Calls += times * items.Count;
                evaluation.Input += times * items.Sum(i => evaluationOverhead + i.Rendered + extra);
                evaluation.Output += times * items.Sum(Answer);
                foreach (var (instructions, criteria) in _judges)
                {
                    judge.Calls += times * items.Count;
                    judge.Input += times * items.Sum(i => CallOverhead + 2 * MessageOverhead + instructions + i.JudgeCase + Answer(i));
                    judge.Output += times * items.Count * s.OutputFactor * (JudgeReasoningTokens + JudgeTokensPerCriterion * criteria);
                }
            }

            // Mutations: one call per candidate, showing the current prompt and a few items with their answers.
            var shown = _train.Count == 0 ? 0 : Math.Min(s.ItemsShownToMutator, _train.Count) * _train.Average(i => i.Inputs + i.Expected + Answer(i));
            var grownPrompt = s.PromptGrowth * _promptTokens;
            var mutation = (
                candidateEvaluations,
                candidateEvaluations * (CallOverhead + 2 * MessageOverhead + _mutationInstructions + grownPrompt + MutationAssignmentTokens + shown),
                candidateEvaluations * (grownPrompt + s.OutputFactor * CritiqueTokens));

            return new Dictionary<string, (long, double, double)>(StringComparer.Ordinal)
            {
                [EvaluationRole] = evaluation,
                [MutationRole] = mutation,
                [JudgeRole] = judge,
            };
        }
    }
}
