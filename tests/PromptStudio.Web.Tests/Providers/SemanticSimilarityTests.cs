using PromptStudio.Core.Metrics;
using PromptStudio.Core.Optimization;
using PromptStudio.Web.Providers;
using Xunit;

namespace PromptStudio.Web.Tests.Providers;

/// <summary>semantic_similarity with the local MiniLM model the package ships (no network).</summary>
public sealed class SemanticSimilarityTests
{
    private static readonly MiniLmEmbeddingGenerator Embedder = new();

    [Theory]
    [InlineData("Paris", "Paris", 0.99, 1.0)]
    [InlineData("The capital is Paris.", "Paris", 0.6, 0.95)]
    [InlineData("I loved it, works great.", "The review is positive.", 0.2, 0.9)]
    [InlineData("Tokyo", "Paris", 0.0, 0.6)]
    public async Task MiniLm_ScoresMeaningNotSpelling(string output, string expected, double min, double max)
    {
        var scorer = new MetricScorer([new MetricSpec(MetricSpec.SemanticSimilarity)], embedder: Embedder);

        var result = await scorer.ScoreAsync(output, new EvalItem(1, null, new Dictionary<string, string>(), expected), TestContext.Current.CancellationToken);

        Assert.InRange(result.Score, min, max);
    }

    [Fact]
    public async Task ParaphrasesScoreHigherThanUnrelatedAnswers()
    {
        var scorer = new MetricScorer([new MetricSpec(MetricSpec.SemanticSimilarity)], embedder: Embedder);
        var item = new EvalItem(1, null, new Dictionary<string, string>(), "The package arrived late and damaged.");

        var paraphrase = await scorer.ScoreAsync("My parcel came too late and it was broken.", item, TestContext.Current.CancellationToken);
        var unrelated = await scorer.ScoreAsync("The weather in Lisbon is sunny today.", item, TestContext.Current.CancellationToken);

        Assert.True(paraphrase.Score > unrelated.Score + 0.3, $"{paraphrase.Score} vs {unrelated.Score}");
    }
}
