using System.Text.Json;
using System.Text.RegularExpressions;

namespace PromptStudio.Core.Metrics;

/// <summary>Scores one output against one expected output with a job's metrics; every score is in 0..1.</summary>
public sealed class MetricScorer
{
    private readonly IReadOnlyList<MetricSpec> _specs;
    private readonly IReadOnlyList<string> _names;
    private readonly Regex?[] _regexes;
    private readonly double _totalWeight;

    public MetricScorer(IReadOnlyList<MetricSpec> specs)
    {
        if (specs.Count == 0) throw new ArgumentException("At least one metric is needed.", nameof(specs));
        _specs = specs;
        _names = MetricSpec.ReportNames(specs);
        _regexes = specs.Select(s => s.Type == MetricSpec.Regex
            ? new Regex(s.Pattern!, s.CaseSensitive ? RegexOptions.None : RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1))
            : null).ToArray();
        _totalWeight = specs.Sum(s => s.Weight);
    }

    public IReadOnlyList<string> MetricNames => _names;

    /// <summary>Per-metric scores and their weighted mean.</summary>
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
