using Microsoft.Extensions.AI;
using PromptStudio.Core.Optimization;

namespace PromptStudio.Core.Llm;

/// <summary>The job's budget is spent: it stops with stopReason <c>budget</c> and keeps its best prompt.</summary>
public sealed class BudgetExceededException(string message, LlmUsage? spent = null) : Exception(message)
{
    /// <summary>What the interrupted evaluation had already paid for, which no checkpoint recorded.</summary>
    public LlmUsage Spent { get; } = spent ?? LlmUsage.Zero;
}

/// <summary>
/// Counts one job's paid calls and their cost, starting from what the job had spent before a resume, and
/// refuses a call once <c>maxLlmCalls</c> or <c>maxCostUsd</c> is reached. Calls in flight when the cost
/// limit is crossed still finish, so the cost can exceed the limit by at most their price.
/// </summary>
public sealed class UsageMeter(int callsBefore, decimal costBefore, int? maxCalls, decimal? maxCostUsd)
{
    private readonly Lock _lock = new();
    private int _calls = callsBefore;
    private decimal _cost = costBefore;

    public int Calls { get { lock (_lock) return _calls; } }

    public decimal CostUsd { get { lock (_lock) return _cost; } }

    /// <summary>Takes one call from the budget, or throws when none is left.</summary>
    public void Reserve()
    {
        lock (_lock)
        {
            if (maxCalls is { } calls && _calls >= calls)
                throw new BudgetExceededException($"The job reached its limit of {calls} LLM calls (maxLlmCalls).");
            if (maxCostUsd is { } cost && _cost >= cost)
                throw new BudgetExceededException($"The job reached its cost limit of ${cost:0.####} (maxCostUsd); it has spent ${_cost:0.####}.");
            _calls++;
        }
    }

    public void AddCost(decimal cost)
    {
        lock (_lock) _cost += cost;
    }
}

/// <summary>
/// Under the cache: every call that reaches the provider is reserved against the job's budget, and its cost
/// (from the provider's price table and the usage the provider reported) is written on the response as
/// <see cref="CostProperty"/>, where <see cref="LlmUsageOf"/> reads it.
/// </summary>
public sealed class UsageChatClient(IChatClient inner, ProviderSettings provider, UsageMeter meter) : DelegatingChatClient(inner)
{
    public const string CostProperty = "promptstudio.cost_usd";

    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        meter.Reserve();
        var response = await base.GetResponseAsync(messages, options, cancellationToken);
        var cost = provider.Cost(options?.ModelId, response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0);
        meter.AddCost(cost);
        (response.AdditionalProperties ??= [])[CostProperty] = cost;
        return response;
    }

    /// <summary>What one response cost the job: a paid call with its tokens and price, or a cache hit.</summary>
    public static LlmUsage LlmUsageOf(ChatResponse response)
    {
        var props = response.AdditionalProperties;
        if (props is not null && props.TryGetValue(PersistentCachingChatClient.CacheHitProperty, out var hit) && hit is true)
            return LlmUsage.Zero with { CacheHits = 1 };
        var cost = props is not null && props.TryGetValue(CostProperty, out var c) ? Convert.ToDecimal(c, System.Globalization.CultureInfo.InvariantCulture) : 0m;
        return new LlmUsage(1, response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0, cost);
    }
}
