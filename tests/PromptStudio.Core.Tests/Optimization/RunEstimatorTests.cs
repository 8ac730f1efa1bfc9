using System.Text.Json;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Llm;
using PromptStudio.Core.Metrics;
using PromptStudio.Core.Optimization;
using PromptStudio.Core.Prompts;

namespace PromptStudio.Core.Tests.Optimization;

public sealed class RunEstimatorTests
{
    private static readonly PromptText SayPrompt = new(null, "Say {{w}}");

    private static IReadOnlyList<EvalItem> Words(int count) =>
        Enumerable.Range(1, count).Select(i => new EvalItem(i, null, new Dictionary<string, string> { ["w"] = $"w{i}" }, $"w{i}")).ToList();

    private static OptimizationConfig Config(string json) =>
        OptimizationConfigParser.Parse(JsonSerializer.Deserialize<RawOptimizationConfig>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web)));

    private static RunEstimate Estimate(string configJson, int items, Func<string, ModelPrice?>? prices = null) =>
        RunEstimator.Estimate(Config(configJson), "model-a", SayPrompt, Words(items), prices ?? (_ => null));

    /// <summary>Config, dataset size, then the calls of the upper bound and of a typical run, worked out by hand in the comment.</summary>
    public static TheoryData<string, int, long, long> Calls => new()
    {
        // 10 baseline calls, then 10 iterations of 3 mutations and 3 candidates x 10 items: 10 + 10 x (3 + 30).
        { """{"dryRun":true}""", 10, 340, 340 },
        // 8 training, 2 held-out items; one judge metric doubles every item call:
        // 8 x 2 baseline + 5 x (2 mutations + 2 x 8 x 2) + 2 held-out evaluations x 2 x 2 = 16 + 170 + 8.
        { """{"model":"model-a","maxIterations":5,"tuningParams":{"candidatesPerIteration":2,"validationSplit":0.2,"evaluationMetrics":["exact_match","llm_judge"]}}""", 10, 194, 194 },
        // Two judges make two calls per item; semantic_similarity embeds locally: 4 x 3 + 1 x (1 + 4 x 3).
        { """{"model":"model-a","maxIterations":1,"tuningParams":{"candidatesPerIteration":1,"evaluationMetrics":["llm_judge",{"type":"llm_judge","criteria":["tone"]},"semantic_similarity"]}}""", 4, 25, 25 },
        // dryRun's judge is a stand-in that calls nothing: 4 + 2 x (3 + 3 x 4).
        { """{"dryRun":true,"maxIterations":2,"tuningParams":{"evaluationMetrics":["llm_judge"]}}""", 4, 34, 34 },
        // Patience 2 of 10 iterations: typically 5 + 2 = 7 iterations, 10 + 7 x 33.
        { """{"dryRun":true,"patience":2}""", 10, 340, 241 },
        // minImprovement alone stops at the first small gain: 5 + 1 = 6 iterations, 10 + 6 x 33.
        { """{"dryRun":true,"tuningParams":{"minImprovement":0.01}}""", 10, 340, 208 },
        // Patience longer than the run changes nothing.
        { """{"dryRun":true,"maxIterations":1,"patience":3}""", 10, 43, 43 },
    };

    [Theory]
    [MemberData(nameof(Calls))]
    public void Calls_CountEveryEvaluationMutationAndJudgeCall(string config, int items, long upper, long typical)
    {
        var estimate = Estimate(config, items);

        Assert.Equal(upper, estimate.UpperBound.LlmCalls);
        Assert.Equal(typical, estimate.Typical.LlmCalls);
        Assert.Equal(upper, estimate.Roles.Sum(r => r.UpperBound.LlmCalls));
    }

    [Fact]
    public void Roles_SplitTheCalls_BetweenTheModelUnderTestTheMutatorAndTheJudge()
    {
        var estimate = Estimate("""{"model":"model-a","maxIterations":5,"tuningParams":{"candidatesPerIteration":2,"validationSplit":0.2,"mutationModel":"writer","judgeModel":"judge","evaluationMetrics":["exact_match","llm_judge"]}}""", 10);

        Assert.Equal((8, 2), (estimate.TrainItems, estimate.HeldOutItems));
        Assert.Equal(
            [("evaluation", "model-a", 92L), ("mutation", "writer", 10L), ("judge", "judge", 92L)],
            estimate.Roles.Select(r => (r.Role, r.Model, r.UpperBound.LlmCalls)));
    }

    [Fact]
    public void Tokens_AndCost_FollowTheDatasetThePromptAndThePriceTable()
    {
        // "Say {{w}}" is 3 tokens. Item 1 renders to "Say hi" (2 tokens) and expects "hi" (1);
        // item 2 renders to "Say hello" (3) and expects "hello there" (3). One message: 3 + 4 tokens of overhead.
        IReadOnlyList<EvalItem> items =
        [
            new(1, null, new Dictionary<string, string> { ["w"] = "hi" }, "hi"),
            new(2, null, new Dictionary<string, string> { ["w"] = "hello" }, "hello there"),
        ];
        var config = Config("""{"model":"model-a","maxIterations":1,"tuningParams":{"candidatesPerIteration":1,"mutationModel":"writer"}}""");
        var prices = new Dictionary<string, ModelPrice> { ["model-a"] = new(1m, 2m), ["writer"] = new(10m, 30m) };
        var instructions = RunEstimator.Tokens(LlmProposer.SystemInstructions(SayPrompt, 0.5));

        var estimate = RunEstimator.Estimate(config, "model-a", SayPrompt, items, m => prices.GetValueOrDefault(m));

        var (evaluation, mutation) = (estimate.Roles[0], estimate.Roles[1]);
        // Typical: the baseline reads (7 + 2) + (7 + 3) = 19 tokens and answers 1 + 3; the candidate is half again
        // as long as the prompt (+1.5 per item): 22 tokens in, 4 out.
        Assert.Equal(new UsageEstimate(4, 41, 8, (41 * 1m + 8 * 2m) / 1_000_000m), evaluation.Typical);
        // Upper: answers of 3x the expected output and at least 64 tokens; the candidate 3x the prompt (+6 per item).
        Assert.Equal(new UsageEstimate(4, 19 + 31, 4 * 64, (50 * 1m + 256 * 2m) / 1_000_000m), evaluation.UpperBound);
        // The mutator reads its instructions, the grown prompt (4.5), the operator's 60 tokens and three items'
        // inputs, expected outputs and answers (both items: (1 + 1 + 1) and (2 + 3 + 3)); it writes the prompt and a critique.
        var typicalIn = (long)Math.Ceiling(3 + 8 + instructions + 4.5 + 60 + 2 * 5.5);
        Assert.Equal(new UsageEstimate(1, typicalIn, 105, (typicalIn * 10m + 105 * 30m) / 1_000_000m), mutation.Typical);
        var upperIn = 3 + 8 + instructions + 9 + 60 + 2 * 67.5;
        Assert.Equal(new UsageEstimate(1, (long)upperIn, 9 + 300, ((long)upperIn * 10m + 309 * 30m) / 1_000_000m), mutation.UpperBound);

        Assert.Equal(evaluation.UpperBound.CostUsd + mutation.UpperBound.CostUsd, estimate.UpperBound.CostUsd);
        Assert.Equal(41 + typicalIn, estimate.Typical.InputTokens);
        Assert.Empty(estimate.UnpricedModels);
    }

    [Fact]
    public void JudgeCalls_ReadTheRubricAndTheCase_AndWriteAVerdictPerCriterion()
    {
        var item = new EvalItem(1, null, new Dictionary<string, string> { ["w"] = "hi" }, "hi");
        var config = Config("""{"model":"model-a","maxIterations":1,"tuningParams":{"candidatesPerIteration":1,"evaluationMetrics":[{"type":"llm_judge","criteria":["tone","brevity","facts"]}]}}""");
        var rubric = RunEstimator.Tokens(LlmJudge.Instructions([new("tone", "tone"), new("brevity", "brevity"), new("facts", "facts")]));
        var @case = RunEstimator.Tokens(LlmJudge.Case(item, ""));

        var judge = RunEstimator.Estimate(config, "model-a", SayPrompt, [item], _ => null).Roles.Single(r => r.Role == RunEstimator.JudgeRole);

        // Two evaluations (baseline and one candidate) of one item; the answer rated is 1 token typically, 64 at most.
        Assert.Equal(new UsageEstimate(2, 2 * (3 + 8 + rubric + @case + 1), 2 * (40 + 3 * 10), null), judge.Typical);
        Assert.Equal(new UsageEstimate(2, 2 * (3 + 8 + rubric + @case + 64), 2 * 3 * (40 + 3 * 10), null), judge.UpperBound);
    }

    [Fact]
    public void Cost_IsUnknown_WhenAModelHasNoPrice_AndSaysWhich()
    {
        var estimate = Estimate("""{"model":"model-a","tuningParams":{"judgeModel":"judge-x","evaluationMetrics":["llm_judge"]}}""", 5,
            m => m == "model-a" ? new ModelPrice(1m, 1m) : null);

        Assert.Null(estimate.UpperBound.CostUsd);
        Assert.Null(estimate.Typical.CostUsd);
        Assert.NotNull(estimate.Roles[0].UpperBound.CostUsd);
        Assert.Equal(["judge-x"], estimate.UnpricedModels);
        Assert.Contains(estimate.Notes, n => n.Contains("No price is known for the model 'judge-x'", StringComparison.Ordinal));
    }

    [Fact]
    public void DryRun_IsSimulated_AndCostsNothing()
    {
        var estimate = Estimate("""{"dryRun":true,"tuningParams":{"mutationModel":"writer"}}""", 6);

        Assert.True(estimate.Simulated);
        Assert.Equal(0m, estimate.UpperBound.CostUsd);
        Assert.Equal(0m, estimate.Typical.CostUsd);
        Assert.All(estimate.Roles, r => Assert.Equal(OptimizationConfig.SimulatedModel, r.Model));
        Assert.Contains(estimate.Notes, n => n.StartsWith("Simulated: no cost", StringComparison.Ordinal));
        Assert.True(estimate.UpperBound.InputTokens > estimate.Typical.InputTokens);
    }

    [Fact]
    public void Notes_SayItIsAnUpperBound_AndWarnWhenTheBudgetIsBelowIt()
    {
        var estimate = Estimate("""{"model":"model-a","tuningParams":{"maxLlmCalls":50,"maxCostUsd":0.0001}}""", 10, _ => new ModelPrice(5m, 15m));

        Assert.Contains(estimate.Notes, n => n.StartsWith("Upper bound: all 10 iterations run", StringComparison.Ordinal));
        Assert.Contains(estimate.Notes, n => n.StartsWith("maxLlmCalls (50) is below the upper bound", StringComparison.Ordinal));
        Assert.Contains(estimate.Notes, n => n.StartsWith("maxCostUsd (0.0001) is below the upper bound", StringComparison.Ordinal));
    }

    [Fact]
    public void UnrenderablePrompt_IsMeasuredAsWritten()
    {
        var items = new[] { new EvalItem(1, null, new Dictionary<string, string>(), "x") };

        var estimate = RunEstimator.Estimate(Config("""{"dryRun":true,"maxIterations":1,"tuningParams":{"candidatesPerIteration":1}}"""), "m", SayPrompt, items, _ => null);

        // The baseline reads 7 tokens of overhead and the raw template's 3; the candidate 1.5 more: 10 + 11.5, rounded up.
        Assert.Equal(22, estimate.Roles[0].Typical.InputTokens);
    }
}
