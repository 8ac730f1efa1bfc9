using System.Threading.RateLimiting;
using Microsoft.Extensions.AI;

namespace PromptStudio.Core.Llm;

/// <summary>
/// The limits of one provider, shared by every job on the instance: at most <c>maxConcurrency</c> calls in
/// flight (waiters served oldest first) and at most <c>requestsPerMinute</c> HTTP attempts in any window.
/// With a <see cref="ISharedProviderLimit"/> (several nodes), each slot and token is also taken from the
/// cluster's share, after this instance's, so the limits hold across every node.
/// </summary>
public sealed class ProviderLimiter : IDisposable
{
    private readonly ConcurrencyLimiter _concurrency;
    private readonly ISharedProviderLimit? _shared;
    private int _waitingForRate;
    private int _waitingForShared;

    public ProviderLimiter(int maxConcurrency, int requestsPerMinute, TimeSpan window, TimeProvider? time = null, ISharedProviderLimit? shared = null)
    {
        _shared = shared;
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
    public long Waiting => (_concurrency.GetStatistics()?.CurrentQueuedCount ?? 0) + Volatile.Read(ref _waitingForRate) + Volatile.Read(ref _waitingForShared);

    /// <summary>One of the provider's concurrency slots; dispose it when the call has ended.</summary>
    public async ValueTask<IDisposable> AcquireSlotAsync(CancellationToken cancellationToken)
    {
        var lease = await _concurrency.AcquireAsync(1, cancellationToken);
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw new InvalidOperationException("The provider's concurrency limiter refused a call.");
        }
        return _shared is null ? lease : await AlsoSharedAsync(lease, _shared.AcquireSlotAsync, cancellationToken);
    }

    /// <summary>Adds the cluster's permit to this instance's, or gives this one back when it cannot be had.</summary>
    private async ValueTask<IDisposable> AlsoSharedAsync(IDisposable local, Func<CancellationToken, ValueTask<IDisposable>> acquire, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waitingForShared);
        try
        {
            return new WithShared(local, await acquire(cancellationToken));
        }
        catch
        {
            local.Dispose();
            throw;
        }
        finally
        {
            Interlocked.Decrement(ref _waitingForShared);
        }
    }

    /// <summary>A request token for one HTTP attempt; dispose it when the attempt has ended.</summary>
    public async ValueTask<IDisposable?> AcquireRequestTokenAsync(CancellationToken cancellationToken)
    {
        if (Rate is null) return null;
        Interlocked.Increment(ref _waitingForRate);
        IDisposable token;
        try
        {
            token = await Rate.AcquireAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waitingForRate);
        }
        return _shared is null ? token : await AlsoSharedAsync(token, _shared.AcquireRequestTokenAsync, cancellationToken);
    }

    public void Dispose() => _concurrency.Dispose();

    /// <summary>This instance's permit together with the cluster's: both end at once.</summary>
    private sealed class WithShared(IDisposable local, IDisposable shared) : IDisposable
    {
        public void Dispose()
        {
            shared.Dispose();
            local.Dispose();
        }
    }
}

/// <summary>
/// A token bucket of <c>limit</c> tokens in which each token comes back exactly one window after the request
/// that spent it has ended. Unlike a bucket refilled at a steady rate (which lets a full burst and a full
/// refill land in the same minute), this guarantees that no window of that length, as the provider's clock
/// sees it, ever holds more than <c>limit</c> requests: a request arrives before it ends, and its token is
/// reused only a whole window later, whatever the network's jitter.
/// </summary>
public sealed class SlidingWindowLog(int limit, TimeSpan window, TimeProvider time)
{
    // The log is kept as two parts: how many tokens are out (their request has not ended), and the end times of
    // the others, oldest first. A token ends under the lock with the clock read there, so end times arrive in
    // order: expiry only ever looks at the head, and an acquire costs O(1) instead of a scan of every token
    // spent in the last window (thousands at a high requestsPerMinute).
    private readonly Queue<long> _endedAt = new();
    private int _out;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _lock = new();
    private TaskCompletionSource? _ended;

    public int Limit => limit;

    /// <summary>Waits for a token; dispose the result when the request has ended.</summary>
    public async ValueTask<IDisposable> AcquireAsync(CancellationToken cancellationToken)
    {
        // One waiter at a time keeps the order fair (first come, first served).
        await _gate.WaitAsync(cancellationToken);
        try
        {
            while (true)
            {
                Task ended;
                TimeSpan? wait = null;
                lock (_lock)
                {
                    var now = time.GetTimestamp();
                    while (_endedAt.TryPeek(out var e) && time.GetElapsedTime(e, now) >= window) _endedAt.Dequeue();
                    if (_out + _endedAt.Count < limit)
                    {
                        _out++;
                        return new Token(this);
                    }
                    if (_endedAt.TryPeek(out var oldest)) wait = window - time.GetElapsedTime(oldest, now);
                    // The signal exists only while someone waits for it: a request that ends with nobody waiting allocates nothing.
                    ended = (_ended ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                }
                // Until a token's window has passed, or a request in flight ends and starts its window.
                var delay = wait is { } w ? Task.Delay(w > TimeSpan.Zero ? w : TimeSpan.FromMilliseconds(1), time, cancellationToken) : Task.Delay(Timeout.Infinite, cancellationToken);
                await Task.WhenAny(delay, ended).WaitAsync(cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>For callers that do not track when their request ends: the token's window starts now.</summary>
    public async ValueTask WaitAsync(CancellationToken cancellationToken) => (await AcquireAsync(cancellationToken)).Dispose();

    private void End(Token token)
    {
        TaskCompletionSource? signal;
        lock (_lock)
        {
            if (token.Ended) return;
            token.Ended = true;
            _out--;
            _endedAt.Enqueue(time.GetTimestamp());
            signal = _ended;
            _ended = null;
        }
        signal?.TrySetResult();
    }

    private sealed class Token(SlidingWindowLog owner) : IDisposable
    {
        public bool Ended { get; set; }

        public void Dispose() => owner.End(this);
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
