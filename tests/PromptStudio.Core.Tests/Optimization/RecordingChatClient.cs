using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using PromptStudio.Core.Optimization;
using PromptStudio.Core.Simulation;

namespace PromptStudio.Core.Tests.Optimization;

/// <summary>The simulated model, counting its calls and noting which item each one was about, in call order.</summary>
internal sealed class RecordingChatClient(int seed, TimeSpan latency = default)
    : DelegatingChatClient(new SimulatedChatClient(seed, latency))
{
    private readonly ConcurrentQueue<int> _items = new();

    public IReadOnlyList<int> ItemIds => _items.ToArray();
    public int Calls => _items.Count;

    public override Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        _items.Enqueue(options?.AdditionalProperties?.TryGetValue(CandidateEvaluator.ItemIdProperty, out var id) == true ? (int)id! : -1);
        return base.GetResponseAsync(messages, options, cancellationToken);
    }
}
