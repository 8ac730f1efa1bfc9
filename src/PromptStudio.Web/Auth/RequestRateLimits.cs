using System.Threading.RateLimiting;
using RedisRateLimiting;
using StackExchange.Redis;

namespace PromptStudio.Web.Auth;

/// <summary>
/// The bucket of API requests of one user or API key: <c>Auth:RequestsPerMinute</c> tokens, refilled every minute.
/// On one node it lives in memory; with Redis (several nodes) it lives there (RedisRateLimiting's token bucket), so
/// the limit holds on the caller's total across nodes. While Redis does not answer, each node falls back to a
/// bucket of its own: an outage neither stops the API nor lifts the limit.
/// </summary>
public static class RequestRateLimits
{
    public static RateLimitPartition<string> For(HttpContext context, string partition, int perMinute)
    {
        var local = new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = perMinute,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
        if (context.RequestServices.GetService<IConnectionMultiplexer>() is not { } redis)
            return RateLimitPartition.GetTokenBucketLimiter(partition, _ => local);

        var logger = context.RequestServices.GetRequiredService<ILogger<RedisOrLocalRateLimiter>>();
        return RateLimitPartition.Get(partition, key => new RedisOrLocalRateLimiter(redis,
            new RedisTokenBucketRateLimiter<string>($"promptstudio:requests:{key}", new RedisTokenBucketRateLimiterOptions
            {
                ConnectionMultiplexerFactory = () => redis,
                TokenLimit = perMinute,
                TokensPerPeriod = perMinute,
                ReplenishmentPeriod = TimeSpan.FromMinutes(1),
            }),
            new TokenBucketRateLimiter(local),
            logger));
    }

    /// <summary>How long a rejected caller should wait, from either kind of bucket.</summary>
    public static TimeSpan? RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait
        : lease.TryGetMetadata(RateLimitMetadataName.RetryAfter, out var seconds) ? TimeSpan.FromSeconds(seconds)
        : null;
}

/// <summary>Redis decides while it answers; while it does not, this node's own bucket does.</summary>
public sealed class RedisOrLocalRateLimiter(IConnectionMultiplexer connection, RateLimiter redis, RateLimiter local, ILogger<RedisOrLocalRateLimiter> logger)
    : RateLimiter
{
    // The Redis bucket has no synchronous path: the middleware then waits on AcquireAsync, which asks Redis.
    private static readonly RateLimitLease Unanswered = new NotAcquired();

    /// <summary>Idle (and so removable by the partitioned limiter) only when the fallback bucket is full again too.</summary>
    public override TimeSpan? IdleDuration => local.IdleDuration is null ? null : redis.IdleDuration;

    public override RateLimiterStatistics? GetStatistics() => local.GetStatistics();

    protected override RateLimitLease AttemptAcquireCore(int permitCount) => Unanswered;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        // Known to be down: no request should wait for a command timeout to learn it again.
        if (!connection.IsConnected) return await local.AcquireAsync(permitCount, cancellationToken);
        try
        {
            return await redis.AcquireAsync(permitCount, cancellationToken);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Redis does not answer: the API request limit is kept by this node alone");
            return await local.AcquireAsync(permitCount, cancellationToken);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            redis.Dispose();
            local.Dispose();
        }
        base.Dispose(disposing);
    }

    private sealed class NotAcquired : RateLimitLease
    {
        public override bool IsAcquired => false;
        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
