using PromptStudio.Core.Optimization;

namespace PromptStudio.Core.Metrics;

/// <summary>
/// How one evaluation did on one metric: the mean score over its items and the share of items that reached
/// the metric's pass mark (<see cref="MetricSpec.PassThreshold"/>).
/// </summary>
public sealed record MetricScorecard(string Metric, string Type, double Threshold, double Average, double PassRate, int Passed, int Items);

/// <summary>The scorecard of an evaluation: one <see cref="MetricScorecard"/> per metric, in the job's metric order.</summary>
public static class Scorecard
{
    // Scores are means of ratings and cosines: 0.75 computed as (4 - 1) / 4 must pass a 0.75 threshold.
    private const double Tolerance = 1e-9;

    /// <summary>
    /// An item passes a metric when it has no error and its score on that metric is at least the threshold.
    /// An item whose call failed scores 0 and fails every metric, as it counts 0 in the average.
    /// </summary>
    public static IReadOnlyList<MetricScorecard> Compute(IReadOnlyList<MetricSpec> specs, IReadOnlyList<ItemResult> items)
    {
        var names = MetricSpec.ReportNames(specs);
        var cards = new MetricScorecard[specs.Count];
        for (var m = 0; m < specs.Count; m++)
        {
            var (name, threshold) = (names[m], specs[m].PassThreshold);
            double sum = 0;
            var passed = 0;
            foreach (var item in items)
            {
                var score = item.MetricScores.GetValueOrDefault(name);
                sum += score;
                if (item.Error is null && score + Tolerance >= threshold) passed++;
            }
            cards[m] = items.Count == 0
                ? new MetricScorecard(name, specs[m].Type, threshold, 0, 0, 0, 0)
                : new MetricScorecard(name, specs[m].Type, threshold, sum / items.Count, (double)passed / items.Count, passed, items.Count);
        }
        return cards;
    }
}
