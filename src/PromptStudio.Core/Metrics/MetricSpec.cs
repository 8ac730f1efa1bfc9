using System.Text.Json;
using System.Text.RegularExpressions;
using PromptStudio.Core.Jobs;

namespace PromptStudio.Core.Metrics;

/// <summary>
/// One metric of a job: its type, weight and options. <paramref name="Threshold"/> is the score an item needs
/// on this metric to count as passing it in the scorecard (see <see cref="PassThreshold"/>).
/// </summary>
public sealed record MetricSpec(
    string Type,
    double Weight = 1,
    bool CaseSensitive = false,
    bool NormalizeWhitespace = true,
    string? Value = null,
    string? Pattern = null,
    IReadOnlyList<JudgeCriterion>? Criteria = null,
    double? Threshold = null)
{
    public const string ExactMatch = "exact_match";
    public const string Contains = "contains";
    public const string Regex = "regex";
    public const string JsonValid = "json_valid";

    public const string LlmJudge = "llm_judge";
    public const string SemanticSimilarity = "semantic_similarity";

    public static readonly IReadOnlyList<string> KnownTypes = [ExactMatch, Contains, Regex, JsonValid, LlmJudge, SemanticSimilarity];

    /// <summary>Metrics that call a model (the judge, or an embedding model) rather than compare text.</summary>
    public bool UsesModel => Type is LlmJudge or SemanticSimilarity;

    /// <summary>
    /// The pass mark of the scorecard: the configured <c>threshold</c>, else 1.0 for the yes/no metrics (they
    /// only score 0 or 1), 0.75 for <c>llm_judge</c> (a mean rating of 4 on its 1–5 scale) and 0.8 for
    /// <c>semantic_similarity</c> (a cosine at which MiniLM sentences usually say the same thing).
    /// </summary>
    public double PassThreshold => Threshold ?? DefaultThreshold(Type);

    public static double DefaultThreshold(string type) => type switch
    {
        LlmJudge => 0.75,
        SemanticSimilarity => 0.8,
        _ => 1.0,
    };

    /// <summary>exact_match, ignoring case and surrounding/duplicate whitespace.</summary>
    public static readonly MetricSpec Default = new(ExactMatch);

    /// <summary>The name a metric's score is reported under (its type; a second metric of one type gets a suffix).</summary>
    public static IReadOnlyList<string> ReportNames(IReadOnlyList<MetricSpec> specs)
    {
        var names = new List<string>();
        foreach (var spec in specs)
        {
            var name = spec.Type;
            for (var n = 2; names.Contains(name); n++) name = $"{spec.Type}_{n}";
            names.Add(name);
        }
        return names;
    }

    internal static IReadOnlyList<MetricSpec> ParseList(string field, JsonElement value, ValidationErrors errors)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            errors.Add(field, "evaluationMetrics must be a non-empty array of metrics, e.g. [{\"type\":\"exact_match\",\"weight\":1}].");
            return [Default];
        }

        var specs = new List<MetricSpec>();
        var index = 0;
        foreach (var element in value.EnumerateArray())
        {
            var spec = ParseOne($"{field}[{index++}]", element, errors);
            if (spec is not null) specs.Add(spec);
        }
        return specs.Count == 0 ? [Default] : specs;
    }

    private static MetricSpec? ParseOne(string field, JsonElement element, ValidationErrors errors)
    {
        if (element.ValueKind == JsonValueKind.String) element = JsonDocument.Parse($"{{\"type\":{element.GetRawText()}}}").RootElement;
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(field, "a metric must be an object with a 'type' or a metric type name.");
            return null;
        }

        string? type = null;
        double weight = 1;
        bool caseSensitive = false, normalize = true;
        string? text = null, pattern = null;
        IReadOnlyList<JudgeCriterion>? criteria = null;
        double? threshold = null;
        var ok = true;
        foreach (var property in element.EnumerateObject())
        {
            var v = property.Value;
            switch (property.Name)
            {
                case "type" when v.ValueKind == JsonValueKind.String: type = v.GetString(); break;
                case "weight" when v.ValueKind == JsonValueKind.Number && v.GetDouble() is > 0 and <= 100: weight = v.GetDouble(); break;
                case "weight": errors.Add($"{field}.weight", "weight must be a number greater than 0 and at most 100."); ok = false; break;
                case "threshold" when v.ValueKind == JsonValueKind.Number && v.GetDouble() is >= 0 and <= 1: threshold = v.GetDouble(); break;
                case "threshold" when v.ValueKind == JsonValueKind.Null: break;
                case "threshold":
                    errors.Add($"{field}.threshold", v.ValueKind == JsonValueKind.Number
                        ? $"threshold must be between 0 and 1 (got {OptimizationConfigParser.Fmt(v.GetDouble())})."
                        : "threshold must be a number between 0 and 1: the score an item needs to pass this metric.");
                    ok = false;
                    break;
                case "caseSensitive" when v.ValueKind is JsonValueKind.True or JsonValueKind.False: caseSensitive = v.GetBoolean(); break;
                case "normalizeWhitespace" when v.ValueKind is JsonValueKind.True or JsonValueKind.False: normalize = v.GetBoolean(); break;
                case "value" when v.ValueKind == JsonValueKind.String: text = v.GetString(); break;
                case "pattern" when v.ValueKind == JsonValueKind.String: pattern = v.GetString(); break;
                case "criteria" when v.ValueKind == JsonValueKind.Array:
                    criteria = JudgeCriterion.ParseList($"{field}.criteria", v, errors);
                    ok &= criteria is not null;
                    break;
                default:
                    errors.Add($"{field}.{property.Name}", $"'{property.Name}' is not a metric option of the right type (options: type, weight, threshold, caseSensitive, normalizeWhitespace, value, pattern, criteria).");
                    ok = false;
                    break;
            }
        }

        if (type is null || !KnownTypes.Contains(type))
        {
            errors.Add($"{field}.type", $"type must be one of {string.Join(", ", KnownTypes)} (got '{type}').");
            return null;
        }
        if (type == Regex)
        {
            if (string.IsNullOrEmpty(pattern))
            {
                errors.Add($"{field}.pattern", "a regex metric needs a 'pattern'.");
                return null;
            }
            try { _ = new System.Text.RegularExpressions.Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1)); }
            catch (ArgumentException e)
            {
                errors.Add($"{field}.pattern", $"pattern is not a valid regular expression: {e.Message}");
                return null;
            }
        }
        if (type == LlmJudge) criteria ??= JudgeCriterion.Default;
        return ok ? new MetricSpec(type, weight, caseSensitive, normalize, text, pattern, criteria, threshold) : null;
    }
}
