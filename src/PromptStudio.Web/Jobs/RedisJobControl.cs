using StackExchange.Redis;

namespace PromptStudio.Web.Jobs;

/// <summary>
/// Pause and cancel across nodes: the node that recorded the request trips the job here if it runs it, and
/// otherwise publishes the job id on a Redis channel that every node listens to; the owner trips the job's token
/// on receipt, within milliseconds instead of a heartbeat. Losing a message (Redis down) costs only that
/// shortcut: the owner still finds the request on the job row at its next heartbeat.
/// </summary>
public sealed class RedisJobControl(IConnectionMultiplexer redis, RunningJobs running, ILogger<RedisJobControl> logger)
    : IJobControl, IHostedService
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("promptstudio:job-control");
    private ChannelMessageQueue? _queue;

    public void Interrupt(Guid jobId)
    {
        // While Redis is down a signal would wait in the client's backlog and trip the job whenever it got through:
        // the owner's heartbeat reads the request from the row instead.
        if (running.Interrupt(jobId) || !redis.IsConnected) return;
        try
        {
            redis.GetSubscriber().Publish(Channel, jobId.ToString("N"), CommandFlags.FireAndForget);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not signal job {JobId} through Redis; its owner reads the request at its next heartbeat", jobId);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _queue = await redis.GetSubscriber().SubscribeAsync(Channel);
        _queue.OnMessage(message =>
        {
            if (Guid.TryParseExact((string?)message.Message, "N", out var jobId)) running.Interrupt(jobId);
        });
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_queue is not null) await _queue.UnsubscribeAsync();
    }
}
