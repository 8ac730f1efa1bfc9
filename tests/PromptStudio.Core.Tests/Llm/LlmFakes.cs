using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using PromptStudio.Core.Llm;
using PromptStudio.Core.Optimization;

namespace PromptStudio.Core.Tests.Llm;

/// <summary>A chat client that answers from a script and records every call.</summary>
internal sealed class ScriptedChatClient(Func<IReadOnlyList<ChatMessage>, string> script, int inputTokens = 10, int outputTokens = 2) : IChatClient
{
    public ConcurrentQueue<IReadOnlyList<ChatMessage>> Calls { get; } = new();

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        Calls.Enqueue(list);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, script(list)))
        {
            Usage = new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = outputTokens },
        });
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

internal sealed class MemoryResponseCache : ILlmResponseCache
{
    public ConcurrentDictionary<string, string> Entries { get; } = new();

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken) => Task.FromResult(Entries.GetValueOrDefault(key));

    public Task SetAsync(string key, string model, string responseJson, CancellationToken cancellationToken)
    {
        Entries.TryAdd(key, responseJson);
        return Task.CompletedTask;
    }
}

/// <summary>Keeps nothing: the tests look at the outcome.</summary>
internal sealed class NullObserver : IOptimizationObserver
{
    public List<CandidateRecord> Proposed { get; } = [];

    public ValueTask IterationStartedAsync(int iteration, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask CandidatesProposedAsync(int iteration, IReadOnlyList<CandidateRecord> candidates, LlmUsage usage, CancellationToken cancellationToken)
    {
        Proposed.AddRange(candidates);
        return ValueTask.CompletedTask;
    }

    public ValueTask EvaluationStartedAsync(CandidateRecord candidate, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask CandidateEvaluatedAsync(CandidateRecord candidate, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask IterationCompletedAsync(IterationSummary summary, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
