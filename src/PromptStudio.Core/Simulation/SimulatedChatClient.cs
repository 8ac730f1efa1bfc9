using Microsoft.Extensions.AI;
using PromptStudio.Core.Optimization;

namespace PromptStudio.Core.Simulation;

/// <summary>
/// The dryRun model: an <see cref="IChatClient"/> with no network. It answers an item correctly with the
/// probability <see cref="SimulatedKnowledge.Accuracy"/> gives the prompt's text; which items it gets right
/// depends mostly on the item (some are harder) and partly on the exact wording, so similar prompts score
/// similarly but not identically. Everything is a hash of (seed, item, text): the same call always gets the
/// same answer.
/// </summary>
public sealed class SimulatedChatClient(int seed, TimeSpan latency) : IChatClient
{
    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        if (latency > TimeSpan.Zero) await Task.Delay(latency, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();

        var text = string.Join("\n", list.Select(m => m.Text));
        var expected = options?.AdditionalProperties?.TryGetValue(CandidateEvaluator.AnswerKeyProperty, out var e) == true ? e as string : null;
        var itemId = options?.AdditionalProperties?.TryGetValue(CandidateEvaluator.ItemIdProperty, out var id) == true ? id : text;

        var answer = Answer(text, expected, itemId);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, answer))
        {
            ModelId = options?.ModelId ?? "simulated",
            Usage = new UsageDetails
            {
                InputTokenCount = EstimateTokens(text),
                OutputTokenCount = EstimateTokens(answer),
                TotalTokenCount = EstimateTokens(text) + EstimateTokens(answer),
            },
        };
    }

    private string Answer(string text, string? expected, object? itemId)
    {
        if (expected is null) return "A simulated answer.";
        var accuracy = SimulatedKnowledge.Accuracy(text);
        var difficulty = 0.65 * StableRandom.Unit(seed, "item", itemId) + 0.35 * StableRandom.Unit(seed, "wording", text);
        if (difficulty < accuracy) return expected;
        // Near misses: the right answer buried in chatter (a 'contains' metric still sees it).
        if (difficulty < accuracy + 0.15) return $"I think the answer is: {expected}.";
        return "I am not sure; it could be several things.";
    }

    public static long EstimateTokens(string text) => Math.Max(1, (text.Length + 3) / 4);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
