using PromptStudio.Core.Jobs;
using PromptStudio.Core.Metrics;
using PromptStudio.Core.Optimization;
using PromptStudio.Core.Prompts;
using PromptStudio.Core.Simulation;

namespace PromptStudio.Core.Tests.Optimization;

/// <summary>
/// A small review-classification job on the dryRun simulator: the dataset, the prompt, and the optimizer the
/// way the host builds it in dryRun (simulated proposer and chat client, answer key passed to the simulator).
/// </summary>
internal static class Sentiment
{
    public static readonly PromptText Original =
        new("You label customer reviews.", "Classify the sentiment of this review as positive, negative or mixed.\nReview: {{review}}");

    public static readonly IReadOnlyList<EvalItem> TrainItems = Items(1,
    [
        ("The battery lasts two full days. Love it.", "positive"),
        ("Stopped working after a week.", "negative"),
        ("Great screen, terrible speakers.", "mixed"),
        ("Oh great, another update that breaks everything.", "negative"),
        ("Not bad at all, I would buy it again.", "positive"),
        ("Shipping was slow but the product is excellent.", "positive"),
        ("I returned it the next day.", "negative"),
        ("Does what it says. Nothing more, nothing less.", "mixed"),
        ("Best purchase this year!", "positive"),
        ("The case cracked, support never answered.", "negative"),
        ("Fast, quiet, but the app is clunky.", "mixed"),
        ("Wouldn't recommend it to anyone I like.", "negative"),
    ]);

    public static readonly IReadOnlyList<EvalItem> HeldOutItems = Items(101,
    [
        ("Exceeded my expectations.", "positive"),
        ("Cheap plastic, broke in a month.", "negative"),
        ("Nice design, average performance.", "mixed"),
        ("Not what I hoped for.", "negative"),
    ]);

    private static List<EvalItem> Items(int firstId, (string Review, string Label)[] rows) =>
        rows.Select((row, i) => new EvalItem(firstId + i, $"review {firstId + i}", new Dictionary<string, string> { ["review"] = row.Review }, row.Label))
            .ToList();

    /// <summary>A dryRun config with no simulated latency; <paramref name="tuning"/> adjusts the knobs.</summary>
    public static OptimizationConfig Config(
        int seed = 42, int maxIterations = 10, double? targetScore = null, int? patience = null,
        Func<TuningParameters, TuningParameters>? tuning = null)
    {
        var knobs = new TuningParameters { Seed = seed, SimulatedLatencyMs = 0 };
        return new OptimizationConfig
        {
            MaxIterations = maxIterations,
            TargetScore = targetScore,
            Patience = patience,
            DryRun = true,
            Tuning = tuning is null ? knobs : tuning(knobs),
        };
    }

    public static readonly Checkpoint Empty = new([], new HashSet<int>());

    public static OptimizationRun Run(OptimizationConfig config, IReadOnlyList<EvalItem>? heldOut = null) =>
        new(Original, TrainItems, heldOut ?? [], config);

    public static Optimizer Optimizer(
        OptimizationConfig config, RecordingChatClient? chat = null, ICandidateProposer? proposer = null)
    {
        var tuning = config.Tuning;
        var evaluator = new CandidateEvaluator(
            chat ?? new RecordingChatClient(tuning.Seed),
            config.EffectiveModel,
            new MetricScorer(tuning.EvaluationMetrics),
            tuning.Concurrency,
            tuning.MaxFailedItemRatio,
            tuning.Temperature,
            passAnswerKey: true);
        return new Optimizer(proposer ?? new SimulatedProposer(TimeSpan.Zero), evaluator);
    }

    /// <summary>
    /// Runs (or resumes, from what <paramref name="observer"/> holds) until the run ends or the observer pauses it.
    /// Returns null when paused.
    /// </summary>
    public static async Task<OptimizationOutcome?> RunAsync(
        OptimizationRun run, RecordingObserver observer, RecordingChatClient? chat = null,
        ICandidateProposer? proposer = null, TimeSpan? timeLeft = null)
    {
        var checkpoint = observer.Checkpoint();
        try
        {
            return await Optimizer(run.Config, chat, proposer)
                .RunAsync(run, checkpoint.Candidates, checkpoint.CompletedIterations, observer, timeLeft, observer.Token);
        }
        catch (OperationCanceledException) when (observer.IsPaused)
        {
            return null;
        }
    }

    /// <summary>A run straight through, with nothing saved before it.</summary>
    public static async Task<(OptimizationOutcome Outcome, RecordingObserver Observer)> RunStraightAsync(
        OptimizationConfig config, RecordingChatClient? chat = null, ICandidateProposer? proposer = null)
    {
        var observer = new RecordingObserver();
        var outcome = await RunAsync(Run(config), observer, chat, proposer);
        return (outcome ?? throw new InvalidOperationException("The run was paused."), observer);
    }
}
