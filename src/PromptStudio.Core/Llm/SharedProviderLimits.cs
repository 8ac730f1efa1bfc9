namespace PromptStudio.Core.Llm;

/// <summary>
/// One provider's limits as every node that shares the provider sees them (Redis, when the instance is one of
/// several). <see cref="ProviderLimiter"/> asks it after its own per-instance limiter, so an instance keeps its
/// limits without it, and the cluster's total keeps them with it.
/// </summary>
public interface ISharedProviderLimit
{
    /// <summary>Holds one of the provider's <c>maxConcurrency</c> slots across nodes until disposed.</summary>
    ValueTask<IDisposable> AcquireSlotAsync(CancellationToken cancellationToken);

    /// <summary>A request token across nodes, for one HTTP attempt; its window starts when it is disposed.</summary>
    ValueTask<IDisposable> AcquireRequestTokenAsync(CancellationToken cancellationToken);
}

/// <summary>Makes the <see cref="ISharedProviderLimit"/> of each provider.</summary>
public interface ISharedProviderLimits
{
    /// <param name="scope">Names the provider uniquely among everything that shares the store.</param>
    /// <param name="settings">Its limits.</param>
    /// <param name="window">The window of <c>requestsPerMinute</c>.</param>
    ISharedProviderLimit For(string scope, ProviderSettings settings, TimeSpan window);
}
