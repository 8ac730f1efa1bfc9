using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using PromptStudio.Core.Optimization;

namespace PromptStudio.Core.Metrics;

/// <summary>Scores one output against one expected output with a job's metrics; every score is in 0..1.</summary>
public sealed class MetricScorer
{
    private readonly IReadOnlyList<MetricSpec> _specs;
    private readonly IReadOnlyList<string> _names;
    private readonly Regex?[] _regexes;
    private readonly double _totalWeight;

    private readonly LlmJudge? _judge;
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _embedder;

    /// <param name="judge">The judge model of <c>llm_judge</c>; without one (dryRun) a token-overlap stand-in scores it.</param>
    /// <param name="embedder">The embedding model of <c>semantic_similarity</c>; without one, a bag-of-words cosine stands in.</param>
    public MetricScorer(IReadOnlyList<MetricSpec> specs, IChatClient? judge = null, IEmbeddingGenerator<string, Embedding<float>>? embedder = null)
    {
        _judge = judge is null ? null : new LlmJudge(judge);
        _embedder = embedder;
        if (specs.Count == 0) throw new ArgumentException("At least one metric is needed.", nameof(specs));
        _specs = specs;
        _names = MetricSpec.ReportNames(specs);
        _regexes = specs.Select(s => s.Type == MetricSpec.Regex
            ? new Regex(s.Pattern!, s.CaseSensitive ? RegexOptions.None : RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1))
            : null).ToArray();
        _totalWeight = specs.Sum(s => s.Weight);
    }

    public IReadOnlyList<string> MetricNames => _names;

    public IReadOnlyList<MetricSpec> Specs => _specs;

    /// <summary>
    /// Per-metric scores, their weighted mean, the judge's reasoning (when there is a judge metric) and what
    /// the judge cost. Deterministic metrics never wait; model metrics go through the job's pipeline.
    /// </summary>
    public async Task<ItemScore> ScoreAsync(string output, EvalItem item, CancellationToken ct)
    {
        var perMetric = new Dictionary<string, double>(_specs.Count, StringComparer.Ordinal);
        double weighted = 0;
        string? reasoning = null;
        var usage = LlmUsage.Zero;
        for (var i = 0; i < _specs.Count; i++)
        {
            var spec = _specs[i];
            double score;
            switch (spec.Type)
            {
                case MetricSpec.LlmJudge when _judge is not null:
                    var verdict = await _judge.ScoreAsync(spec.Criteria ?? JudgeCriterion.Default, item, output, ct);
                    (score, usage) = (verdict.Score, usage + verdict.Usage);
                    reasoning = reasoning is null ? verdict.Reasoning : reasoning + "\n" + verdict.Reasoning;
                    break;
                case MetricSpec.LlmJudge:
                    score = TextSimilarity.TokenF1(output, item.ExpectedOutput ?? "");
                    reasoning ??= "Simulated judge (dryRun): token overlap with the expected output.";
                    break;
                case MetricSpec.SemanticSimilarity when _embedder is not null:
                    score = item.ExpectedOutput is null ? 0 : await TextSimilarity.EmbeddingCosineAsync(_embedder, output, item.ExpectedOutput, ct);
                    break;
                case MetricSpec.SemanticSimilarity:
                    score = TextSimilarity.BagOfWordsCosine(output, item.ExpectedOutput ?? "");
                    break;
                default:
                    score = ScoreOne(i, output, item.ExpectedOutput);
                    break;
            }
            perMetric[_names[i]] = score;
            weighted += score * spec.Weight;
        }
        return new ItemScore(weighted / _totalWeight, perMetric, reasoning, usage);
    }

    /// <summary>Per-metric scores and their weighted mean (deterministic metrics only; model metrics use <see cref="ScoreAsync"/>).</summary>
    public (double Score, IReadOnlyDictionary<string, double> PerMetric) Score(string output, string? expected)
    {
        var perMetric = new Dictionary<string, double>(_specs.Count, StringComparer.Ordinal);
        double weighted = 0;
        for (var i = 0; i < _specs.Count; i++)
        {
            var s = ScoreOne(i, output, expected);
            perMetric[_names[i]] = s;
            weighted += s * _specs[i].Weight;
        }
        return (weighted / _totalWeight, perMetric);
    }

    private double ScoreOne(int index, string output, string? expected)
    {
        var spec = _specs[index];
        return spec.Type switch
        {
            MetricSpec.ExactMatch => expected is null ? 0 : Bool(string.Equals(Normalize(spec, output), Normalize(spec, expected), Comparison(spec))),
            MetricSpec.Contains => (spec.Value ?? expected) is { } needle
                ? Bool(Normalize(spec, output).Contains(Normalize(spec, needle), Comparison(spec)))
                : 0,
            MetricSpec.Regex => Bool(_regexes[index]!.IsMatch(output)),
            MetricSpec.JsonValid => Bool(IsJson(output)),
            MetricSpec.LlmJudge or MetricSpec.SemanticSimilarity => throw new InvalidOperationException($"The metric '{spec.Type}' calls a model: use ScoreAsync."),
            _ => throw new InvalidOperationException($"Unknown metric '{spec.Type}'."),
        };
    }

    private static double Bool(bool value) => value ? 1 : 0;

    private static StringComparison Comparison(MetricSpec spec) =>
        spec.CaseSensitive ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;

    private static string Normalize(MetricSpec spec, string text) =>
        spec.NormalizeWhitespace ? string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)) : text;

    private static bool IsJson(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0) return false;
        try
        {
            using var _ = JsonDocument.Parse(trimmed);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>One item's scores under a job's metrics.</summary>
public sealed record ItemScore(double Score, IReadOnlyDictionary<string, double> PerMetric, string? Reasoning, LlmUsage JudgeUsage);
