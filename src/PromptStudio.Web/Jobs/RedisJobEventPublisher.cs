using System.Text.Json;
using PromptStudio.Client;
using StackExchange.Redis;

namespace PromptStudio.Web.Jobs;

/// <summary>
/// Carries stored events and job snapshots to every node through Redis pub/sub; each node hands what it
/// receives (its own messages included) to its in-process <see cref="JobEventBus"/>, so hub streams and
/// dashboard components on any node see every job. One subscription delivers messages in publish order.
/// Redis is only the fast path: the events are already in the database, and a hub stream that sees a jump in
/// ids (a message lost while Redis was down) fills it from the store.
/// </summary>
public sealed class RedisJobEventPublisher(IConnectionMultiplexer redis, JobEventBus bus, ILogger<RedisJobEventPublisher> logger)
    : IJobEventPublisher, IHostedService
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("promptstudio:job-events");
    private ChannelMessageQueue? _queue;

    public void Publish(IReadOnlyList<JobEventDto> events)
    {
        if (events.Count > 0) Send(new Message(events, null, null));
    }

    public void PublishJob(Guid workspaceId, JobDto job) => Send(new Message(null, workspaceId, job));

    private void Send(Message message)
    {
        try
        {
            // Fire and forget keeps the worker off the network; one connection keeps the messages in order.
            redis.GetSubscriber().Publish(Channel, JsonSerializer.Serialize(message, JobMapping.Json), CommandFlags.FireAndForget);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not publish job events to Redis; subscribers catch up from the database");
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _queue = await redis.GetSubscriber().SubscribeAsync(Channel);
        _queue.OnMessage(received =>
        {
            var message = JsonSerializer.Deserialize<Message>((string)received.Message!, JobMapping.Json);
            if (message?.Events is { } events) bus.Publish(events);
            if (message is { WorkspaceId: { } workspaceId, Job: { } job }) bus.PublishJob(workspaceId, job);
        });
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_queue is not null) await _queue.UnsubscribeAsync();
    }

    private sealed record Message(IReadOnlyList<JobEventDto>? Events, Guid? WorkspaceId, JobDto? Job);
}
