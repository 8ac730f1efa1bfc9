using System.Numerics.Tensors;
using Microsoft.Extensions.AI;

namespace PromptStudio.Core.Metrics;

/// <summary>Similarity of an output to the expected output, in 0..1.</summary>
public static class TextSimilarity
{
    /// <summary>Cosine of the two texts' embeddings, negative values counted as 0.</summary>
    public static async Task<double> EmbeddingCosineAsync(
        IEmbeddingGenerator<string, Embedding<float>> embedder, string output, string expected, CancellationToken ct)
    {
        if (output.Length == 0 || expected.Length == 0) return output.Length == expected.Length ? 1 : 0;
        var vectors = await embedder.GenerateAsync([output, expected], cancellationToken: ct);
        var cosine = TensorPrimitives.CosineSimilarity(vectors[0].Vector.Span, vectors[1].Vector.Span);
        return Math.Clamp(cosine, 0, 1);
    }

    /// <summary>Cosine of word-count vectors (lowercased): a dependency-free stand-in for embeddings.</summary>
    public static double BagOfWordsCosine(string a, string b)
    {
        var x = Counts(a);
        var y = Counts(b);
        if (x.Count == 0 || y.Count == 0) return x.Count == y.Count ? 1 : 0;
        double dot = x.Sum(kv => kv.Value * (double)y.GetValueOrDefault(kv.Key));
        var norm = Math.Sqrt(x.Values.Sum(v => (double)v * v)) * Math.Sqrt(y.Values.Sum(v => (double)v * v));
        return dot / norm;
    }

    /// <summary>F1 of the shared words (SQuAD style).</summary>
    public static double TokenF1(string output, string expected)
    {
        var x = Counts(output);
        var y = Counts(expected);
        if (x.Count == 0 || y.Count == 0) return x.Count == y.Count ? 1 : 0;
        double common = x.Sum(kv => Math.Min(kv.Value, y.GetValueOrDefault(kv.Key)));
        if (common == 0) return 0;
        var precision = common / x.Values.Sum();
        var recall = common / y.Values.Sum();
        return 2 * precision * recall / (precision + recall);
    }

    private static Dictionary<string, int> Counts(string text)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var word in text.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var w = word.Trim('.', ',', '!', '?', ';', ':', '"', '\'', '(', ')');
            if (w.Length > 0) counts[w] = counts.GetValueOrDefault(w) + 1;
        }
        return counts;
    }
}
