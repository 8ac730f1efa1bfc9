using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.RateLimiting;
using Polly.Timeout;

namespace PromptStudio.Core.Llm;

/// <summary>
/// The HTTP client under a provider's SDK: outbound address checks on every connection (redirects
/// included), then, per call, retries with exponential backoff and jitter that honour Retry-After, a
/// circuit breaker, one request token per attempt and a per-attempt timeout sized for LLMs. The SDKs'
/// own retries are switched off so that this is the only retry loop.
/// </summary>
public static class ProviderHttp
{
    public static HttpClient Create(string provider, ProviderLimiter limiter, LlmPipelineOptions options) =>
        Create(provider, limiter, options, address => OutboundAddressPolicy.Refusal(address, options.AllowPrivateNetworks));

    /// <summary>The same with a custom address rule (tests allow one loopback address and refuse the rest).</summary>
    public static HttpClient Create(string provider, ProviderLimiter limiter, LlmPipelineOptions options, Func<System.Net.IPAddress, string?> refusal)
    {
        var sockets = new SocketsHttpHandler
        {
            ConnectCallback = OutboundAddressPolicy.ConnectCallback(refusal),
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 5,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(15),
            // LLM calls are long and parallel: never let the pool be the bottleneck.
            MaxConnectionsPerServer = int.MaxValue,
        };
        var resilience = new ResilienceHandler(Pipeline(limiter, options)) { InnerHandler = sockets };
        var errors = new ProviderErrorHandler(provider) { InnerHandler = resilience };
        return new HttpClient(errors) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public static ResiliencePipeline<HttpResponseMessage> Pipeline(ProviderLimiter limiter, LlmPipelineOptions options)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = TimeSpan.FromMinutes(2),
                ShouldRetryAfterHeader = true,
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
            });
        }
        builder.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = options.CircuitBreakerFailureRatio,
            SamplingDuration = options.CircuitBreakerSampling,
            MinimumThroughput = Math.Max(2, options.CircuitBreakerMinimumThroughput),
            BreakDuration = options.CircuitBreakerBreak,
            ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
        });
        if (limiter.Rate is not null)
        {
            // Each attempt, retries included, spends a request token: the provider never sees more than its rate.
            builder.AddRateLimiter(new RateLimiterStrategyOptions
            {
                // Polly disposes the lease when the attempt ends: that is when the token's window starts.
                RateLimiter = async args => new Granted(await limiter.AcquireRequestTokenAsync(args.Context.CancellationToken)),
            });
        }
        builder.AddTimeout(new HttpTimeoutStrategyOptions { Timeout = options.AttemptTimeout });
        return builder.Build();
    }

    /// <summary>429, 408 and 5xx answers, attempt timeouts and network errors are worth another try; a refused address is not.</summary>
    internal static bool IsTransient(Outcome<HttpResponseMessage> outcome)
    {
        if (outcome.Result is { } response)
        {
            var status = (int)response.StatusCode;
            return status is 408 or 429 or >= 500;
        }
        return outcome.Exception switch
        {
            null => false,
            HttpRequestException { InnerException: BlockedAddressException } => false,
            HttpRequestException => true,
            TimeoutRejectedException => true,
            _ => false,
        };
    }

    private sealed class Granted(IDisposable? token) : RateLimitLease
    {
        public override bool IsAcquired => true;
        public override IEnumerable<string> MetadataNames => [];
        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) token?.Dispose();
            base.Dispose(disposing);
        }
    }
}
