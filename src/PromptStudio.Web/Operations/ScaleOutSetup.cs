using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PromptStudio.Core.Llm;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Providers;
using StackExchange.Redis;

namespace PromptStudio.Web.Operations;

/// <summary>
/// <c>ConnectionStrings:Redis</c> turns one node into one of several: job events and pause/cancel signals travel
/// through Redis pub/sub, SignalR hub groups through its Redis backplane, and the API request limits and each
/// provider's limits are kept in Redis for all nodes together. Absent, everything stays in-process (one node).
/// </summary>
public static class ScaleOutSetup
{
    public static string? RedisConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("Redis") is { Length: > 0 } redis ? redis : null;

    public static IServiceCollection AddScaleOut(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<JobEventBus>();
        if (RedisConnectionString(configuration) is not { } redis)
        {
            services.AddSingleton<IJobEventPublisher>(sp => sp.GetRequiredService<JobEventBus>());
            services.AddSingleton<IJobControl, LocalJobControl>();
            return services;
        }

        // Not failing at start when Redis is down: the node serves from the database and reconnects by itself.
        var redisOptions = ConfigurationOptions.Parse(redis);
        redisOptions.AbortOnConnectFail = false;
        services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redisOptions));
        services.AddSingleton<RedisJobEventPublisher>();
        services.AddSingleton<IJobEventPublisher>(sp => sp.GetRequiredService<RedisJobEventPublisher>());
        services.AddHostedService(sp => sp.GetRequiredService<RedisJobEventPublisher>());
        services.AddSingleton<RedisJobControl>();
        services.AddSingleton<IJobControl>(sp => sp.GetRequiredService<RedisJobControl>());
        services.AddHostedService(sp => sp.GetRequiredService<RedisJobControl>());
        services.AddSingleton<ISharedProviderLimits, RedisProviderLimits>();
        // Degraded, not unhealthy: every node shares this Redis, so failing readiness on it would take all of them out
        // of rotation at once, while each node serves on without it (events catch up from the database afterwards).
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", failureStatus: HealthStatus.Degraded, tags: [HealthEndpoints.Ready]);
        return services;
    }

    public static ISignalRServerBuilder AddStudioBackplane(this ISignalRServerBuilder signalR, IConfiguration configuration)
    {
        if (RedisConnectionString(configuration) is { } redis)
        {
            signalR.AddStackExchangeRedis(redis, o =>
            {
                o.Configuration.AbortOnConnectFail = false;
                o.Configuration.ChannelPrefix = RedisChannel.Literal("promptstudio");
            });
        }
        return signalR;
    }

    private sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            // Known to be down: answer the probe now rather than after a command timeout.
            if (!redis.IsConnected) return new HealthCheckResult(context.Registration.FailureStatus, "Redis is not connected.");
            try
            {
                await redis.GetDatabase().PingAsync();
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, "Redis does not answer.", e);
            }
        }
    }
}
