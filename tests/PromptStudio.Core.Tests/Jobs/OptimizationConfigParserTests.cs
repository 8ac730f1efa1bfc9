using System.Text.Json;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Metrics;

namespace PromptStudio.Core.Tests.Jobs;

public sealed class OptimizationConfigParserTests
{
    /// <summary>The raw config a client would send, with tuningParams written as JSON.</summary>
    internal static RawOptimizationConfig WithTuning(string tuningJson) =>
        new(TuningParams: JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(tuningJson));

    /// <summary>Parses an invalid config and returns the messages of the one field it must name.</summary>
    internal static string[] Rejected(RawOptimizationConfig raw, string field)
    {
        var error = Assert.Throws<DomainValidationException>(() => OptimizationConfigParser.Parse(raw));
        var errors = error.Errors.ToDictionary();
        Assert.True(errors.ContainsKey(field), $"expected an error for '{field}', got: {string.Join(", ", errors.Keys)}");
        return errors[field];
    }

    /// <summary>Record equality would compare the metric lists by reference; compare them by content.</summary>
    private static void AssertTuning(TuningParameters expected, TuningParameters actual)
    {
        Assert.Equal(expected.EvaluationMetrics, actual.EvaluationMetrics);
        Assert.Equal(expected with { EvaluationMetrics = [] }, actual with { EvaluationMetrics = [] });
    }

    [Fact]
    public void Parse_AppliesTheDefaults_WhenNothingIsGiven()
    {
        var config = OptimizationConfigParser.Parse(null);

        Assert.Equal(10, config.MaxIterations);
        Assert.Null(config.TargetScore);
        Assert.Null(config.Patience);
        Assert.False(config.DryRun);
        AssertTuning(new TuningParameters(), config.Tuning);
        Assert.True(config.Tuning.PreserveVariables);
        Assert.Equal([MetricSpec.Default], config.Tuning.EvaluationMetrics);
    }

    /// <summary>A raw config that sets only one of the numeric top-level options.</summary>
    private static RawOptimizationConfig With(string option, double value) => option switch
    {
        "maxIterations" => new(MaxIterations: (int)value),
        "targetScore" => new(TargetScore: value),
        "patience" => new(Patience: (int)value),
        _ => throw new ArgumentOutOfRangeException(nameof(option)),
    };

    private static double? Read(OptimizationConfig config, string option) => option switch
    {
        "maxIterations" => config.MaxIterations,
        "targetScore" => config.TargetScore,
        "patience" => config.Patience,
        _ => throw new ArgumentOutOfRangeException(nameof(option)),
    };

    [Theory]
    [InlineData("maxIterations", 1)]
    [InlineData("maxIterations", 100)]
    [InlineData("targetScore", 0.0)]
    [InlineData("targetScore", 0.85)]
    [InlineData("targetScore", 1.0)]
    [InlineData("patience", 1)]
    [InlineData("patience", 50)]
    public void Option_IsAccepted_AtTheEdgesOfItsRange(string option, double value) =>
        Assert.Equal(value, Read(OptimizationConfigParser.Parse(With(option, value)), option));

    [Theory]
    [InlineData("maxIterations", 0, "between 1 and 100 (got 0)")]
    [InlineData("maxIterations", 101, "between 1 and 100 (got 101)")]
    [InlineData("maxIterations", -5, "between 1 and 100")]
    [InlineData("targetScore", -0.1, "between 0.0 and 1.0 (got -0.1)")]
    [InlineData("targetScore", 1.1, "between 0.0 and 1.0 (got 1.1)")]
    [InlineData("targetScore", double.NaN, "between 0.0 and 1.0")]
    [InlineData("patience", 0, "between 1 and 50 (got 0)")]
    [InlineData("patience", 51, "between 1 and 50 (got 51)")]
    public void Option_IsRejected_JustOutsideItsRange_NamingTheFieldAndRange(string option, double value, string rule) =>
        Assert.Contains(rule, Assert.Single(Rejected(With(option, value), $"config.{option}")));

    [Fact]
    public void Parse_ReportsEveryBadField_AtOnce()
    {
        var error = Assert.Throws<DomainValidationException>(() =>
            OptimizationConfigParser.Parse(new(MaxIterations: 0, TargetScore: 2, Patience: 51, Model: new string('m', 201))));

        Assert.Equal(
            ["config.maxIterations", "config.model", "config.patience", "config.targetScore"],
            error.Errors.ToDictionary().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void FieldNames_UseTheGivenPrefix()
    {
        var errors = new ValidationErrors();
        OptimizationConfigParser.TryParse(new(MaxIterations: 0), errors, "body.config");

        Assert.Equal(["body.config.maxIterations"], errors.ToDictionary().Keys);
    }

    [Fact]
    public void Model_IsTrimmed_AndBlankMeansNone()
    {
        Assert.Equal("gpt-4o", OptimizationConfigParser.Parse(new(Model: "  gpt-4o ")).Model);
        Assert.Null(OptimizationConfigParser.Parse(new(Model: "   ")).Model);
    }

    [Theory]
    [InlineData(null, false, "")]
    [InlineData(null, true, OptimizationConfig.SimulatedModel)]
    [InlineData("gpt-4o", true, "gpt-4o")]
    public void EffectiveModel_FallsBackToTheSimulator_OnlyInDryRun(string? model, bool dryRun, string expected) =>
        Assert.Equal(expected, OptimizationConfigParser.Parse(new(Model: model, DryRun: dryRun)).EffectiveModel);

    [Theory]
    [InlineData("mutationStrengh")]
    [InlineData("MutationStrength")]
    [InlineData("learningRate")]
    public void UnknownTuningKey_IsRejected_NamingTheKey(string key)
    {
        var message = Assert.Single(Rejected(WithTuning($$"""{ "{{key}}": 1 }"""), $"config.tuningParams.{key}"));

        Assert.Contains($"'{key}'", message);
    }

    private const string EveryTuningKey = """
        {
          "mutationStrength": 0.9, "candidatesPerIteration": 5, "evaluationMetrics": ["contains"],
          "minImprovement": 0.01, "preserveVariables": false, "timeoutSeconds": 60, "concurrency": 2,
          "seed": -7, "validationSplit": 0.25, "judgeModel": " judge ", "mutationModel": "mutator",
          "temperature": 0.2, "simulatedLatencyMs": 0, "maxCostUsd": 1.5, "maxLlmCalls": 500,
          "maxFailedItemRatio": 0.5
        }
        """;

    [Fact]
    public void EveryKnownTuningKey_IsAccepted()
    {
        var raw = WithTuning(EveryTuningKey);
        var config = OptimizationConfigParser.Parse(raw);

        Assert.Equal(OptimizationConfigParser.TuningKeys.Order(StringComparer.Ordinal), raw.TuningParams!.Keys.Order(StringComparer.Ordinal));
        AssertTuning(
            new TuningParameters
            {
                MutationStrength = 0.9, CandidatesPerIteration = 5, EvaluationMetrics = [new MetricSpec(MetricSpec.Contains)],
                MinImprovement = 0.01, PreserveVariables = false, TimeoutSeconds = 60, Concurrency = 2, Seed = -7,
                ValidationSplit = 0.25, JudgeModel = "judge", MutationModel = "mutator", Temperature = 0.2,
                SimulatedLatencyMs = 0, MaxCostUsd = 1.5, MaxLlmCalls = 500, MaxFailedItemRatio = 0.5,
            },
            config.Tuning);
    }

    [Theory]
    [InlineData("mutationStrength", "\"high\"", "must be a number")]
    [InlineData("mutationStrength", "true", "must be a number")]
    [InlineData("candidatesPerIteration", "2.5", "must be a whole number")]
    [InlineData("candidatesPerIteration", "\"3\"", "must be a whole number")]
    [InlineData("seed", "1e12", "must be a whole number")]
    [InlineData("preserveVariables", "\"yes\"", "must be true or false")]
    [InlineData("preserveVariables", "1", "must be true or false")]
    [InlineData("judgeModel", "5", "must be a string")]
    [InlineData("evaluationMetrics", "\"exact_match\"", "non-empty array")]
    [InlineData("evaluationMetrics", "[]", "non-empty array")]
    [InlineData("mutationStrength", "-0.01", "between 0 and 1")]
    [InlineData("mutationStrength", "1.01", "between 0 and 1")]
    [InlineData("candidatesPerIteration", "0", "between 1 and 10")]
    [InlineData("candidatesPerIteration", "11", "between 1 and 10")]
    [InlineData("concurrency", "0", "between 1 and 64")]
    [InlineData("concurrency", "65", "between 1 and 64")]
    [InlineData("validationSplit", "0.51", "between 0 and 0.5")]
    [InlineData("timeoutSeconds", "0", "between 1 and 86400")]
    [InlineData("temperature", "2.5", "between 0 and 2")]
    [InlineData("simulatedLatencyMs", "-1", "between 0 and 10000")]
    public void TuningValue_OfTheWrongTypeOrOutOfRange_IsRejected_NamingTheRule(string key, string json, string expected) =>
        Assert.Contains(expected, Assert.Single(Rejected(WithTuning($$"""{ "{{key}}": {{json}} }"""), $"config.tuningParams.{key}")));

    [Fact]
    public void NullTuningValues_KeepTheDefaults()
    {
        var config = OptimizationConfigParser.Parse(WithTuning("""{ "mutationStrength": null, "seed": null, "preserveVariables": null }"""));

        AssertTuning(new TuningParameters(), config.Tuning);
    }
}
