using System.Globalization;
using System.Text.Json;
using PromptStudio.Core.Metrics;

namespace PromptStudio.Core.Jobs;

/// <summary>A validated job configuration (DESIGN §2). Build it with <see cref="OptimizationConfigParser"/>.</summary>
public sealed record OptimizationConfig
{
    public const int DefaultMaxIterations = 10;
    public const string SimulatedModel = "simulated";

    public int MaxIterations { get; init; } = DefaultMaxIterations;
    public double? TargetScore { get; init; }
    public int? Patience { get; init; }
    public string? Model { get; init; }
    public bool DryRun { get; init; }
    public TuningParameters Tuning { get; init; } = new();

    /// <summary>The model that is actually called: the configured one, or the simulator's name in dryRun.</summary>
    public string EffectiveModel => Model ?? (DryRun ? SimulatedModel : "");
}

/// <summary>Optional knobs. Every key is named in <see cref="OptimizationConfigParser.TuningKeys"/>; others are rejected.</summary>
public sealed record TuningParameters
{
    public double MutationStrength { get; init; } = 0.5;
    public int CandidatesPerIteration { get; init; } = 3;
    public IReadOnlyList<MetricSpec> EvaluationMetrics { get; init; } = [MetricSpec.Default];
    public double MinImprovement { get; init; }
    public bool PreserveVariables { get; init; } = true;
    public int? TimeoutSeconds { get; init; }
    public int Concurrency { get; init; } = 4;
    public int Seed { get; init; } = 42;
    public double ValidationSplit { get; init; }
    public string? JudgeModel { get; init; }
    public string? MutationModel { get; init; }
    public double? Temperature { get; init; }
    /// <summary>dryRun only: how long each simulated call takes. The default makes the 10-iteration demo about half a minute long.</summary>
    public int SimulatedLatencyMs { get; init; } = 250;
    public double? MaxCostUsd { get; init; }
    public int? MaxLlmCalls { get; init; }
    public double MaxFailedItemRatio { get; init; } = 0.2;
}

/// <summary>The raw configuration as a client sends it: everything optional.</summary>
public sealed record RawOptimizationConfig(
    int? MaxIterations = null,
    double? TargetScore = null,
    int? Patience = null,
    string? Model = null,
    bool? DryRun = null,
    IReadOnlyDictionary<string, JsonElement>? TuningParams = null);

/// <summary>Validates a raw configuration against the ranges of DESIGN §2; every error names its field and rule.</summary>
public static class OptimizationConfigParser
{
    public static readonly IReadOnlyList<string> TuningKeys =
    [
        "mutationStrength", "candidatesPerIteration", "evaluationMetrics", "minImprovement", "preserveVariables",
        "timeoutSeconds", "concurrency", "seed", "validationSplit", "judgeModel", "mutationModel", "temperature",
        "simulatedLatencyMs", "maxCostUsd", "maxLlmCalls", "maxFailedItemRatio",
    ];

    public static OptimizationConfig Parse(RawOptimizationConfig? raw, string prefix = "config")
    {
        var errors = new ValidationErrors();
        var config = TryParse(raw, errors, prefix);
        if (!errors.IsEmpty) throw new DomainValidationException(errors);
        return config;
    }

    public static OptimizationConfig TryParse(RawOptimizationConfig? raw, ValidationErrors errors, string prefix = "config")
    {
        raw ??= new RawOptimizationConfig();
        string F(string name) => $"{prefix}.{name}";

        var config = new OptimizationConfig
        {
            MaxIterations = raw.MaxIterations ?? OptimizationConfig.DefaultMaxIterations,
            TargetScore = raw.TargetScore,
            Patience = raw.Patience,
            Model = string.IsNullOrWhiteSpace(raw.Model) ? null : raw.Model.Trim(),
            DryRun = raw.DryRun ?? false,
        };

        if (config.MaxIterations is < 1 or > 100)
            errors.Add(F("maxIterations"), $"maxIterations must be between 1 and 100 (got {config.MaxIterations}).");
        if (config.TargetScore is { } target && (target < 0 || target > 1 || double.IsNaN(target)))
            errors.Add(F("targetScore"), $"targetScore must be between 0.0 and 1.0 (got {Fmt(target)}).");
        if (config.Patience is < 1 or > 50)
            errors.Add(F("patience"), $"patience must be between 1 and 50 (got {config.Patience}).");
        if (config.Model is { Length: > 200 })
            errors.Add(F("model"), "model must be at most 200 characters.");

        return config with { Tuning = ParseTuning(raw.TuningParams, errors, F("tuningParams")) };
    }

    private static TuningParameters ParseTuning(IReadOnlyDictionary<string, JsonElement>? values, ValidationErrors errors, string prefix)
    {
        var t = new TuningParameters();
        if (values is null) return t;

        foreach (var (key, value) in values)
        {
            var field = $"{prefix}.{key}";
            var reader = new ValueReader(field, value, errors);
            switch (key)
            {
                case "mutationStrength": t = t with { MutationStrength = reader.Number(0, 1) ?? t.MutationStrength }; break;
                case "candidatesPerIteration": t = t with { CandidatesPerIteration = reader.Integer(1, 10) ?? t.CandidatesPerIteration }; break;
                case "evaluationMetrics": t = t with { EvaluationMetrics = MetricSpec.ParseList(field, value, errors) }; break;
                case "minImprovement": t = t with { MinImprovement = reader.Number(0, 1) ?? t.MinImprovement }; break;
                case "preserveVariables": t = t with { PreserveVariables = reader.Boolean() ?? t.PreserveVariables }; break;
                case "timeoutSeconds": t = t with { TimeoutSeconds = reader.Integer(1, 86_400) }; break;
                case "concurrency": t = t with { Concurrency = reader.Integer(1, 64) ?? t.Concurrency }; break;
                case "seed": t = t with { Seed = reader.Integer(int.MinValue, int.MaxValue) ?? t.Seed }; break;
                case "validationSplit": t = t with { ValidationSplit = reader.Number(0, 0.5) ?? t.ValidationSplit }; break;
                case "judgeModel": t = t with { JudgeModel = reader.Text() }; break;
                case "mutationModel": t = t with { MutationModel = reader.Text() }; break;
                case "temperature": t = t with { Temperature = reader.Number(0, 2) }; break;
                case "simulatedLatencyMs": t = t with { SimulatedLatencyMs = reader.Integer(0, 10_000) ?? t.SimulatedLatencyMs }; break;
                case "maxCostUsd": t = t with { MaxCostUsd = reader.Number(0, 1_000_000) }; break;
                case "maxLlmCalls": t = t with { MaxLlmCalls = reader.Integer(1, 10_000_000) }; break;
                case "maxFailedItemRatio": t = t with { MaxFailedItemRatio = reader.Number(0, 1) ?? t.MaxFailedItemRatio }; break;
                default:
                    errors.Add(field, $"'{key}' is not a known tuning parameter (known: {string.Join(", ", TuningKeys)}).");
                    break;
            }
        }
        return t;
    }

    internal static string Fmt(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private readonly struct ValueReader(string path, JsonElement value, ValidationErrors errors)
    {
        private string Name => path[(path.LastIndexOf('.') + 1)..];

        public double? Number(double min, double max)
        {
            if (value.ValueKind == JsonValueKind.Null) return null;
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var d))
            {
                errors.Add(path, $"{Name} must be a number between {Fmt(min)} and {Fmt(max)}.");
                return null;
            }
            if (d < min || d > max)
            {
                errors.Add(path, $"{Name} must be between {Fmt(min)} and {Fmt(max)} (got {Fmt(d)}).");
                return null;
            }
            return d;
        }

        public int? Integer(int min, int max)
        {
            if (value.ValueKind == JsonValueKind.Null) return null;
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var l))
            {
                errors.Add(path, $"{Name} must be a whole number between {min} and {max}.");
                return null;
            }
            if (l < min || l > max)
            {
                errors.Add(path, $"{Name} must be between {min} and {max} (got {l}).");
                return null;
            }
            return (int)l;
        }

        public bool? Boolean()
        {
            if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) return value.GetBoolean();
            if (value.ValueKind != JsonValueKind.Null) errors.Add(path, $"{Name} must be true or false.");
            return null;
        }

        public string? Text()
        {
            if (value.ValueKind == JsonValueKind.String) return string.IsNullOrWhiteSpace(value.GetString()) ? null : value.GetString()!.Trim();
            if (value.ValueKind != JsonValueKind.Null) errors.Add(path, $"{Name} must be a string.");
            return null;
        }
    }
}
