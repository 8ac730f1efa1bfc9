using PromptStudio.Core.Jobs;
using PromptStudio.Core.Metrics;
using PromptStudio.Core.Tests.Jobs;

namespace PromptStudio.Core.Tests.Metrics;

public sealed class MetricSpecTests
{
    private static IReadOnlyList<MetricSpec> Parse(string metricsJson) =>
        OptimizationConfigParser.Parse(Metrics(metricsJson)).Tuning.EvaluationMetrics;

    private static RawOptimizationConfig Metrics(string metricsJson) =>
        OptimizationConfigParserTests.WithTuning($$"""{ "evaluationMetrics": {{metricsJson}} }""");

    [Fact]
    public void MetricList_AcceptsTypeNamesAndObjects_WithTheirOptions()
    {
        var specs = Parse("""
            [
              "exact_match",
              { "type": "contains", "weight": 2.5, "caseSensitive": true, "normalizeWhitespace": false, "value": "label" },
              { "type": "regex", "pattern": "^ok$" },
              { "type": "json_valid", "weight": 100 }
            ]
            """);

        Assert.Equal(
            [
                new MetricSpec(MetricSpec.ExactMatch),
                new MetricSpec(MetricSpec.Contains, 2.5, CaseSensitive: true, NormalizeWhitespace: false, Value: "label"),
                new MetricSpec(MetricSpec.Regex, Pattern: "^ok$"),
                new MetricSpec(MetricSpec.JsonValid, 100),
            ],
            specs);
    }

    [Theory]
    [InlineData("""["bleu"]""", "evaluationMetrics[0].type", "got 'bleu'")]
    [InlineData("""["exact_match", {"type":"semantic"}]""", "evaluationMetrics[1].type", "must be one of exact_match, contains, regex, json_valid")]
    [InlineData("""[{"weight":1}]""", "evaluationMetrics[0].type", "must be one of")]
    [InlineData("""[{"type":"regex"}]""", "evaluationMetrics[0].pattern", "needs a 'pattern'")]
    [InlineData("""[{"type":"regex","pattern":""}]""", "evaluationMetrics[0].pattern", "needs a 'pattern'")]
    [InlineData("""[{"type":"regex","pattern":"(unclosed"}]""", "evaluationMetrics[0].pattern", "not a valid regular expression")]
    [InlineData("""[{"type":"regex","pattern":"[z-a]"}]""", "evaluationMetrics[0].pattern", "not a valid regular expression")]
    [InlineData("""[{"type":"exact_match","weight":0}]""", "evaluationMetrics[0].weight", "greater than 0 and at most 100")]
    [InlineData("""[{"type":"exact_match","weight":101}]""", "evaluationMetrics[0].weight", "greater than 0 and at most 100")]
    [InlineData("""[{"type":"exact_match","weight":"1"}]""", "evaluationMetrics[0].weight", "greater than 0 and at most 100")]
    [InlineData("""[{"type":"exact_match","caseSensitive":"no"}]""", "evaluationMetrics[0].caseSensitive", "not a metric option of the right type")]
    [InlineData("""[{"type":"exact_match","threshold":1.5}]""", "evaluationMetrics[0].threshold", "threshold must be between 0 and 1 (got 1.5).")]
    [InlineData("""[{"type":"llm_judge","threshold":-0.1}]""", "evaluationMetrics[0].threshold", "threshold must be between 0 and 1 (got -0.1).")]
    [InlineData("""[{"type":"exact_match","threshold":"high"}]""", "evaluationMetrics[0].threshold", "threshold must be a number between 0 and 1")]
    [InlineData("""[42]""", "evaluationMetrics[0]", "must be an object")]
    [InlineData("""{"type":"exact_match"}""", "evaluationMetrics", "non-empty array")]
    public void MetricList_IsRejected_NamingTheBadMetricAndField(string metricsJson, string field, string expected) =>
        Assert.Contains(
            OptimizationConfigParserTests.Rejected(Metrics(metricsJson), $"config.tuningParams.{field}"),
            message => message.Contains(expected, StringComparison.Ordinal));

    [Fact]
    public void ReportNames_SuffixRepeatedTypes_InOrder() =>
        Assert.Equal(
            ["regex", "exact_match", "regex_2", "regex_3"],
            MetricSpec.ReportNames([new(MetricSpec.Regex), new(MetricSpec.ExactMatch), new(MetricSpec.Regex), new(MetricSpec.Regex)]));

    [Fact]
    public void Threshold_IsParsed_AndDefaultsByMetricType()
    {
        var specs = Parse("""
            [
              { "type": "semantic_similarity", "threshold": 0.6 },
              "exact_match", "contains", { "type": "regex", "pattern": "x" }, "json_valid", "llm_judge", "semantic_similarity"
            ]
            """);

        Assert.Equal([0.6, 1.0, 1.0, 1.0, 1.0, 0.75, 0.8], specs.Select(s => s.PassThreshold));
        Assert.Equal(0.6, specs[0].Threshold);
        Assert.Null(specs[1].Threshold);
    }
}
