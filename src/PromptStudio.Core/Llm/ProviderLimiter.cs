using System.Threading.RateLimiting;
using Microsoft.Extensions.AI;

namespace PromptStudio.Core.Llm;

/// <summary>
/// The limits of one provider, shared by every job on the instance: at most <c>maxConcurrency</c> calls in
/// flight (waiters served oldest first) and at most <c>requestsPerMinute</c> HTTP attempts in any window.
/// </summary>
public sealed class ProviderLimiter : IDisposable
{
    private readonly ConcurrencyLimiter _concurrency;
    private int _waitingForRate;

    public ProviderLimiter(int maxConcurrency, int requestsPerMinute, TimeSpan window, TimeProvider? time = null)
    {
        _concurrency = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = Math.Max(1, maxConcurrency),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        Rate = requestsPerMinute > 0 ? new SlidingWindowLog(requestsPerMinute, window, time ?? TimeProvider.System) : null;
    }

    /// <summary>Null when the provider has no request rate limit.</summary>
    public SlidingWindowLog? Rate { get; }

    /// <summary>Calls waiting for a concurrency slot or a request token right now.</summary>
    public long Waiting => (_concurrency.GetStatistics()?.CurrentQueuedCount ?? 0) + Volatile.Read(ref _waitingForRate);

    public async ValueTask<RateLimitLease> AcquireSlotAsync(CancellationToken cancellationToken)
    {
        var lease = await _concurrency.AcquireAsync(1, cancellationToken);
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw new InvalidOperationException("The provider's concurrency limiter refused a call.");
        }
        return lease;
    }

    public async ValueTask WaitForRateAsync(CancellationToken cancellationToken)
    {
        if (Rate is null) return;
        Interlocked.Increment(ref _waitingForRate);
        try
        {
            await Rate.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waitingForRate);
        }
    }

    public void Dispose() => _concurrency.Dispose();
}

/// <summary>
/// A token bucket of <c>limit</c> tokens in which each token comes back exactly one window after it was spent.
/// Unlike a bucket refilled at a steady rate (which lets a full burst and a full refill land in the same
/// minute), this guarantees that no window of that length ever holds more than <c>limit</c> requests.
/// </summary>
public sealed class SlidingWindowLog(int limit, TimeSpan window, TimeProvider time)
{
    private readonly Queue<long> _spent = new();
    private readonly SemaphoreSlim _gate = new(1, 1);

    public int Limit => limit;

    public async ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        // One waiter at a time keeps the order fair and the queue consistent.
        await _gate.WaitAsync(cancellationToken);
        try
        {
            while (true)
            {
                var now = time.GetTimestamp();
                while (_spent.Count > 0 && time.GetElapsedTime(_spent.Peek(), now) >= window) _spent.Dequeue();
                if (_spent.Count < limit)
                {
                    _spent.Enqueue(now);
                    return;
                }
                var wait = window - time.GetElapsedTime(_spent.Peek(), now);
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1), time, cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}

/// <summary>Holds one of the provider's concurrency slots for the whole call, retries included.</summary>
public sealed class LimitingChatClient(IChatClient inner, ProviderLimiter limiter) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var slot = await limiter.AcquireSlotAsync(cancellationToken);
        return await base.GetResponseAsync(messages, options, cancellationToken);
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var slot = await limiter.AcquireSlotAsync(cancellationToken);
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken)) yield return update;
    }
}
