using PromptStudio.Core.Jobs;
using PromptStudio.Core.Metrics;
using PromptStudio.Core.Tests.Jobs;

namespace PromptStudio.Core.Tests.Metrics;

public sealed class MetricScorerTests
{
    /// <summary>A scorer for metrics written as a client writes them in <c>tuningParams.evaluationMetrics</c>.</summary>
    private static MetricScorer Scorer(string metricsJson) =>
        new(OptimizationConfigParser.Parse(OptimizationConfigParserTests.WithTuning($$"""{ "evaluationMetrics": {{metricsJson}} }""")).Tuning.EvaluationMetrics);

    [Theory]
    // exact_match: case and surrounding/duplicate whitespace ignored unless asked.
    [InlineData("""["exact_match"]""", "positive", "positive", 1.0)]
    [InlineData("""["exact_match"]""", "  Positive \n", "positive", 1.0)]
    [InlineData("""["exact_match"]""", "very   positive", "very positive", 1.0)]
    [InlineData("""["exact_match"]""", "positive.", "positive", 0.0)]
    [InlineData("""["exact_match"]""", "positive", null, 0.0)]
    [InlineData("""[{"type":"exact_match","caseSensitive":true}]""", "Positive", "positive", 0.0)]
    [InlineData("""[{"type":"exact_match","caseSensitive":true}]""", " positive ", "positive", 1.0)]
    [InlineData("""[{"type":"exact_match","normalizeWhitespace":false}]""", " positive", "positive", 0.0)]
    [InlineData("""[{"type":"exact_match","normalizeWhitespace":false}]""", "POSITIVE", "positive", 1.0)]
    // contains: the expected output, or the metric's own value when it has one.
    [InlineData("""["contains"]""", "I think the answer is: Positive.", "positive", 1.0)]
    [InlineData("""["contains"]""", "negative", "positive", 0.0)]
    [InlineData("""["contains"]""", "anything", null, 0.0)]
    [InlineData("""[{"type":"contains","caseSensitive":true}]""", "Positive!", "positive", 0.0)]
    [InlineData("""[{"type":"contains","value":"label:"}]""", "LABEL: negative", "positive", 1.0)]
    [InlineData("""[{"type":"contains","value":"label:"}]""", "positive", "positive", 0.0)]
    [InlineData("""[{"type":"contains","value":"label:"}]""", "label: x", null, 1.0)]
    [InlineData("""[{"type":"contains","value":"two words"}]""", "has two\n  words", "x", 1.0)]
    // regex: matched against the raw output, ignoring case unless asked.
    [InlineData("""[{"type":"regex","pattern":"^(positive|negative)$"}]""", "Negative", "x", 1.0)]
    [InlineData("""[{"type":"regex","pattern":"^(positive|negative)$","caseSensitive":true}]""", "Negative", "x", 0.0)]
    [InlineData("""[{"type":"regex","pattern":"^\\d{3}$"}]""", "123", null, 1.0)]
    [InlineData("""[{"type":"regex","pattern":"^\\d{3}$"}]""", "1234", null, 0.0)]
    // json_valid: any JSON value, surrounding whitespace allowed.
    [InlineData("""["json_valid"]""", """ {"label":"positive"} """, null, 1.0)]
    [InlineData("""["json_valid"]""", "[1, 2]", null, 1.0)]
    [InlineData("""["json_valid"]""", "{label: positive}", null, 0.0)]
    [InlineData("""["json_valid"]""", "   ", null, 0.0)]
    // Weights: the score is the weighted mean of the metrics.
    [InlineData("""[{"type":"exact_match","weight":3},{"type":"contains","weight":1}]""", "It is positive", "positive", 0.25)]
    [InlineData("""[{"type":"exact_match","weight":1},{"type":"contains","weight":3}]""", "It is positive", "positive", 0.75)]
    [InlineData("""["exact_match","contains","json_valid"]""", "It is positive", "positive", 1.0 / 3)]
    [InlineData("""["exact_match","contains","json_valid"]""", "\"positive\"", "\"positive\"", 1.0)]
    public void Score_IsTheWeightedMeanOfEachMetricsScore(string metrics, string output, string? expected, double score)
    {
        var (actual, perMetric) = Scorer(metrics).Score(output, expected);

        Assert.Equal(score, actual, 1e-12);
        Assert.All(perMetric.Values, s => Assert.True(s is 0 or 1, $"per-metric score {s} is not 0 or 1"));
    }

    [Fact]
    public void Score_ReportsEachMetric_UnderItsName_WithASuffixForRepeats()
    {
        var scorer = Scorer("""["contains", {"type":"contains","value":"!"}, "exact_match"]""");

        var (_, perMetric) = scorer.Score("positive", "positive");

        Assert.Equal(["contains", "contains_2", "exact_match"], scorer.MetricNames);
        Assert.Equal(new Dictionary<string, double> { ["contains"] = 1, ["contains_2"] = 0, ["exact_match"] = 1 }, perMetric);
    }

    [Fact]
    public void Scorer_NeedsAtLeastOneMetric() =>
        Assert.Throws<ArgumentException>(() => new MetricScorer([]));
}
