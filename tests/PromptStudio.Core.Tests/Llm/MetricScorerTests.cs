using System.Text.Json;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Metrics;
using PromptStudio.Core.Optimization;
using Xunit;

namespace PromptStudio.Core.Tests.Llm;

public sealed class MetricScorerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MetricSpec Spec(string json)
    {
        var errors = new ValidationErrors();
        var config = OptimizationConfigParser.TryParse(new RawOptimizationConfig(TuningParams: new Dictionary<string, JsonElement>
        {
            ["evaluationMetrics"] = JsonDocument.Parse($"[{json}]").RootElement,
        }), errors);
        Assert.True(errors.IsEmpty, errors.ToString());
        return config.Tuning.EvaluationMetrics.Single();
    }

    private static EvalItem Item(string? expected) => new(1, null, new Dictionary<string, string> { ["q"] = "question" }, expected);

    [Theory]
    [InlineData("{\"type\":\"exact_match\"}", "Paris", "paris", 1.0)]
    [InlineData("{\"type\":\"exact_match\"}", "  Paris \n", "Paris", 1.0)]
    [InlineData("{\"type\":\"exact_match\",\"caseSensitive\":true}", "paris", "Paris", 0.0)]
    [InlineData("{\"type\":\"exact_match\"}", "It is Paris", "Paris", 0.0)]
    [InlineData("{\"type\":\"contains\"}", "It is Paris.", "paris", 1.0)]
    [InlineData("{\"type\":\"contains\",\"value\":\"Lyon\"}", "It is Paris.", "Paris", 0.0)]
    [InlineData("{\"type\":\"regex\",\"pattern\":\"^\\\\d{3}$\"}", "123", null, 1.0)]
    [InlineData("{\"type\":\"regex\",\"pattern\":\"^\\\\d{3}$\"}", "1234", null, 0.0)]
    [InlineData("{\"type\":\"json_valid\"}", "{\"a\": [1, 2]}", null, 1.0)]
    [InlineData("{\"type\":\"json_valid\"}", "{a: 1}", null, 0.0)]
    [InlineData("{\"type\":\"semantic_similarity\"}", "the capital is paris", "The capital is Paris.", 1.0)]
    [InlineData("{\"type\":\"semantic_similarity\"}", "tokyo", "paris", 0.0)]
    [InlineData("{\"type\":\"llm_judge\"}", "the capital is paris", "paris", 0.4)]
    public async Task KnownOutputs_GetKnownScores(string metric, string output, string? expected, double score)
    {
        var scorer = new MetricScorer([Spec(metric)]);

        var result = await scorer.ScoreAsync(output, Item(expected), Ct);

        Assert.Equal(score, result.Score, 6);
    }

    [Fact]
    public async Task Weights_GiveTheWeightedMean()
    {
        var scorer = new MetricScorer([Spec("{\"type\":\"exact_match\",\"weight\":3}"), Spec("{\"type\":\"contains\",\"value\":\"x\",\"weight\":1}")]);

        var result = await scorer.ScoreAsync("Paris", Item("Paris"), Ct);

        Assert.Equal(0.75, result.Score, 6);
        Assert.Equal(1.0, result.PerMetric["exact_match"]);
        Assert.Equal(0.0, result.PerMetric["contains"]);
    }

    [Theory]
    [InlineData("{\"reasoning\":\"Right and terse.\",\"scores\":{\"correctness\":5,\"concise\":5}}", 1.0)]
    [InlineData("Let me think.\n{\"reasoning\":\"Wrong city.\",\"scores\":{\"correctness\":1,\"concise\":5}}", 0.5)]
    [InlineData("{\"reasoning\":\"Half right.\",\"scores\":{\"correctness\":3,\"concise\":4}}", 0.625)]
    [InlineData("{\"reasoning\":\"Only one.\",\"scores\":{\"correctness\":5}}", 0.5)]
    [InlineData("I refuse to answer in JSON.", 0.0)]
    [InlineData("{\"reasoning\": \"broken\", \"scores\": {", 0.0)]
    public async Task LlmJudge_NormalisesTheRubricRatings_AndKeepsTheReasoning(string verdict, double score)
    {
        var judge = new ScriptedChatClient(_ => verdict, inputTokens: 100, outputTokens: 30);
        var spec = Spec("{\"type\":\"llm_judge\",\"criteria\":[{\"name\":\"correctness\",\"description\":\"Right answer\"},\"concise\"]}");
        var scorer = new MetricScorer([spec], judge);

        var result = await scorer.ScoreAsync("Paris", Item("Paris"), Ct);

        Assert.Equal(score, result.Score, 6);
        Assert.False(string.IsNullOrWhiteSpace(result.Reasoning));
        Assert.Equal(1, result.JudgeUsage.Calls);
        Assert.Equal(100, result.JudgeUsage.InputTokens);
        var asked = judge.Calls.Single();
        Assert.Contains("- correctness: Right answer", asked[0].Text, StringComparison.Ordinal);
        Assert.Contains("Reference answer:\nParis", asked[1].Text, StringComparison.Ordinal);
        Assert.Contains("Response to rate:\nParis", asked[1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownMetricOption_IsRejectedNamingTheField()
    {
        var errors = new ValidationErrors();
        OptimizationConfigParser.TryParse(new RawOptimizationConfig(TuningParams: new Dictionary<string, JsonElement>
        {
            ["evaluationMetrics"] = JsonDocument.Parse("[{\"type\":\"llm_judge\",\"criteria\":[]}]").RootElement,
        }), errors);

        Assert.Contains("config.tuningParams.evaluationMetrics[0].criteria", errors.ToDictionary().Keys);
    }
}
