using PromptStudio.Core.Metrics;
using PromptStudio.Core.Optimization;

namespace PromptStudio.Core.Tests.Metrics;

public sealed class ScorecardTests
{
    private static ItemResult Item(int id, double exact, double judge, double similarity, string? error = null) =>
        new(id, error is null ? "out" : null, 0, new Dictionary<string, double>
        {
            ["exact_match"] = exact,
            ["llm_judge"] = judge,
            ["semantic_similarity"] = similarity,
        }, error);

    private static readonly IReadOnlyList<MetricSpec> Specs =
    [
        new(MetricSpec.ExactMatch),
        new(MetricSpec.LlmJudge, Criteria: JudgeCriterion.Default),
        new(MetricSpec.SemanticSimilarity, Threshold: 0.5),
    ];

    [Fact]
    public void Compute_AveragesEachMetric_AndCountsItemsAtOrAboveItsThreshold()
    {
        var items = new[]
        {
            Item(1, exact: 1, judge: 0.75, similarity: 0.6),
            Item(2, exact: 0, judge: 0.5, similarity: 0.9),
            Item(3, exact: 1, judge: 1.0, similarity: 0.5),
            Item(4, exact: 0, judge: 0, similarity: 0, error: "HTTP 500 from provider 'local'"),
        };

        var card = Scorecard.Compute(Specs, items);

        Assert.Equal(
            [
                new MetricScorecard("exact_match", "exact_match", 1.0, 0.5, 0.5, 2, 4),
                new MetricScorecard("llm_judge", "llm_judge", 0.75, 0.5625, 0.5, 2, 4),
                new MetricScorecard("semantic_similarity", "semantic_similarity", 0.5, 0.5, 0.75, 3, 4),
            ],
            card);
    }

    [Fact]
    public void Compute_CountsAJudgeRatingOfFourAsPassing_DespiteRounding()
    {
        // A mean rating of 4 on two criteria, normalised the judge's way: ((4-1)/4 + (4-1)/4) / 2.
        var score = ((4.0 - 1) / 4 + (4.0 - 1) / 4) / 2;

        var card = Scorecard.Compute([new MetricSpec(MetricSpec.LlmJudge)], [new ItemResult(1, "x", score, new Dictionary<string, double> { ["llm_judge"] = score })]);

        Assert.Equal(1, Assert.Single(card).Passed);
    }

    [Fact]
    public void Compute_FailsAnItemWithAnError_EvenUnderAZeroThreshold()
    {
        var card = Scorecard.Compute([new MetricSpec(MetricSpec.Contains, Threshold: 0)],
        [
            new ItemResult(1, "x", 0, new Dictionary<string, double> { ["contains"] = 0 }),
            new ItemResult(2, null, 0, new Dictionary<string, double> { ["contains"] = 0 }, Error: "timeout"),
        ]);

        Assert.Equal(new MetricScorecard("contains", "contains", 0, 0, 0.5, 1, 2), Assert.Single(card));
    }

    [Fact]
    public void Compute_NamesRepeatedMetricsLikeTheScores_AndIsZeroWithoutItems()
    {
        var card = Scorecard.Compute([new MetricSpec(MetricSpec.Contains, Value: "a"), new MetricSpec(MetricSpec.Contains, Value: "b")], []);

        Assert.Equal(
            [new MetricScorecard("contains", "contains", 1, 0, 0, 0, 0), new MetricScorecard("contains_2", "contains", 1, 0, 0, 0, 0)],
            card);
    }

    [Fact]
    public async Task Evaluator_PutsTheScorecardOnEveryEvaluation()
    {
        var chat = new Optimization.ScriptedChatClient(text => text.Contains("good", StringComparison.Ordinal) ? "positive" : "It is positive.");
        var evaluator = new CandidateEvaluator(chat, "m", new MetricScorer([new(MetricSpec.ExactMatch), new(MetricSpec.Contains)]), 2, 0.2);
        EvalItem Review(int id, string text) => new(id, null, new Dictionary<string, string> { ["review"] = text }, "positive");

        var result = await evaluator.EvaluateAsync(new(null, "Label: {{review}}"), [Review(1, "good"), Review(2, "meh"), Review(3, "meh"), Review(4, "good")], TestContext.Current.CancellationToken);

        Assert.Equal(
            [new MetricScorecard("exact_match", "exact_match", 1, 0.5, 0.5, 2, 4), new MetricScorecard("contains", "contains", 1, 1, 1, 4, 4)],
            result.Scorecard);
    }
}
