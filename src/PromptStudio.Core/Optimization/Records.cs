using PromptStudio.Core.Metrics;
using PromptStudio.Core.Prompts;

namespace PromptStudio.Core.Optimization;

/// <summary>One test case as the optimizer sees it.</summary>
public sealed record EvalItem(int Id, string? Name, IReadOnlyDictionary<string, string> Input, string? ExpectedOutput);

/// <summary>LLM calls, tokens and cost, added up.</summary>
public sealed record LlmUsage(int Calls, long InputTokens, long OutputTokens, decimal CostUsd, int CacheHits = 0)
{
    public static readonly LlmUsage Zero = new(0, 0, 0, 0m);

    public static LlmUsage operator +(LlmUsage a, LlmUsage b) =>
        new(a.Calls + b.Calls, a.InputTokens + b.InputTokens, a.OutputTokens + b.OutputTokens, a.CostUsd + b.CostUsd, a.CacheHits + b.CacheHits);
}

/// <summary>How one item did under one candidate prompt.</summary>
public sealed record ItemResult(
    int ItemId,
    string? Output,
    double Score,
    IReadOnlyDictionary<string, double> MetricScores,
    string? Error = null,
    string? Reasoning = null)
{
    /// <summary>An item passes when every metric gave it full marks.</summary>
    public bool Passed => Error is null && Score >= 0.999_999;
}

/// <summary>A candidate's scores on the training items (and, when there is a held-out split, on those).</summary>
public sealed record EvaluationResult(
    double Score,
    IReadOnlyDictionary<string, double> MetricScores,
    IReadOnlyList<ItemResult> Items,
    LlmUsage Usage)
{
    public int FailedItems => Items.Count(i => i.Error is not null);

    /// <summary>Per-metric average and pass rate over <see cref="Items"/>; empty when it was not computed.</summary>
    public IReadOnlyList<MetricScorecard> Scorecard { get; init; } = [];
}

public static class MutationKinds
{
    public const string Baseline = "baseline";
    public const string AddInstruction = "add_instruction";
    public const string RemoveInstruction = "remove_instruction";
    public const string Paraphrase = "paraphrase";
    public const string FewShot = "few_shot";
    public const string FailureDriven = "failure_driven";
    public const string Crossover = "crossover";
}

/// <summary>
/// One proposed prompt of one iteration (iteration 0, index 0 is the original prompt: the baseline).
/// The list of saved candidates plus the set of finished iterations is the whole checkpoint:
/// everything else about a run's progress is derived from it.
/// </summary>
public sealed record CandidateRecord(
    int Iteration,
    int Index,
    PromptText Prompt,
    string MutationKind,
    string? RejectedReason = null,
    EvaluationResult? Evaluation = null)
{
    public bool IsEvaluated => Evaluation is not null;
}

/// <summary>A proposer's output for one candidate slot.</summary>
public sealed record ProposedCandidate(PromptText Prompt, string MutationKind, LlmUsage Usage);

/// <summary>What a proposer sees when it writes the candidates of one iteration.</summary>
public sealed record ProposalContext(
    int Iteration,
    int Count,
    CandidateRecord Best,
    CandidateRecord? RunnerUp,
    IReadOnlyList<EvalItem> TrainItems,
    double MutationStrength,
    int Seed);

/// <summary>Writes candidate prompts (the LLM-driven mutator, or the dryRun simulator).</summary>
public interface ICandidateProposer
{
    Task<IReadOnlyList<ProposedCandidate>> ProposeAsync(ProposalContext context, CancellationToken cancellationToken);
}

/// <summary>Summary of one finished iteration.</summary>
public sealed record IterationSummary(
    int Iteration,
    double BestScore,
    double PreviousBestScore,
    CandidateRecord Best,
    bool ImprovedBest,
    IReadOnlyList<CandidateRecord> Candidates);

/// <summary>
/// How a run ended when it was not interrupted. <see cref="HeldOutUsage"/> is what the run spent after its
/// last checkpoint (held-out scoring, or an evaluation the budget cut short), for the job's totals.
/// </summary>
public sealed record OptimizationOutcome(
    string StopReason,
    CandidateRecord Baseline,
    CandidateRecord Best,
    int IterationsCompleted,
    EvaluationResult? BaselineHeldOut = null,
    EvaluationResult? BestHeldOut = null,
    LlmUsage? HeldOutUsage = null);
