using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PromptStudio.Client;
using PromptStudio.Web.Data;
using StackExchange.Redis;

namespace PromptStudio.Web.Jobs;

/// <summary>
/// Carries stored events and job snapshots to every node through Redis pub/sub. This node's own
/// <see cref="JobEventBus"/> gets them at once, without the round trip, so local followers never depend on Redis;
/// the other nodes hand what they receive to theirs. One subscription delivers messages in publish order.
/// Redis is only the fast path: the events are already in the database. A follower that sees a jump in ids
/// fills it from the store; and because a message lost while Redis was away is only noticed when a later one
/// arrives, a node whose subscription comes back re-announces, from the store, the newest event of every job
/// and the changed jobs of every workspace that someone on it follows: each follower fills its own gap.
/// </summary>
public sealed class RedisJobEventPublisher(
    IConnectionMultiplexer redis,
    JobEventBus bus,
    IDbContextFactory<StudioDbContext> dbFactory,
    TimeProvider time,
    ILogger<RedisJobEventPublisher> logger) : IJobEventPublisher, IHostedService
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("promptstudio:job-events");
    private static readonly TimeSpan PingInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan PingPatience = TimeSpan.FromSeconds(30);
    private readonly Guid _origin = Guid.NewGuid();
    private readonly Lock _lock = new();
    private ChannelMessageQueue? _queue;
    private (Guid Nonce, TaskCompletionSource Heard)? _ping;
    private DateTime? _lostAt;
    private int _resyncsPending;

    public void Publish(IReadOnlyList<JobEventDto> events)
    {
        if (events.Count == 0) return;
        bus.Publish(events);
        Send(new Message(_origin, events, null, null, null));
    }

    public void PublishJob(Guid workspaceId, JobDto job)
    {
        bus.PublishJob(workspaceId, job);
        Send(new Message(_origin, null, workspaceId, job, null));
    }

    private void Send(Message message)
    {
        // While Redis is down a message would wait in the client's backlog and arrive late, after the re-announcement
        // that fills the gap anyway: drop it instead.
        if (!redis.IsConnected) return;
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
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        _queue = await redis.GetSubscriber().SubscribeAsync(Channel);
        _queue.OnMessage(received =>
        {
            var message = JsonSerializer.Deserialize<Message>((string)received.Message!, JobMapping.Json);
            if (message is null) return;
            if (message.Origin == _origin)
            {
                // Delivered locally when published; only our own ping is news.
                if (message.Ping is { } nonce) HeardPing(nonce);
                return;
            }
            if (message.Events is { } events) bus.Publish(events);
            if (message is { WorkspaceId: { } workspaceId, Job: { } job }) bus.PublishJob(workspaceId, job);
        });
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed -= OnConnectionFailed;
        redis.ConnectionRestored -= OnConnectionRestored;
        if (_queue is not null) await _queue.UnsubscribeAsync();
    }

    // Both connection types count: over RESP3 the subscriptions share the interactive connection.
    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        lock (_lock) _lostAt ??= time.GetUtcNow().UtcDateTime;
        logger.LogWarning("Redis connection lost ({ConnectionType}, {FailureType}); job events from other nodes wait for it to come back", e.ConnectionType, e.FailureType);
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        // StackExchange.Redis subscribes again by itself; what was published meanwhile is gone and comes from the store.
        if (Interlocked.Increment(ref _resyncsPending) == 1) _ = Task.Run(ResyncAsync);
    }

    /// <summary>One loop at a time; a restore that comes while it runs makes it run once more.</summary>
    private async Task ResyncAsync()
    {
        int seen;
        do
        {
            seen = Volatile.Read(ref _resyncsPending);
            try
            {
                await SubscriptionHeardAsync();
                DateTime? lostAt;
                lock (_lock)
                {
                    lostAt = _lostAt;
                    _lostAt = null;
                }
                await ReannounceAsync(lostAt ?? time.GetUtcNow().UtcDateTime - TimeSpan.FromMinutes(1));
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Could not re-announce job events after Redis came back; followers catch up with the next event");
            }
        }
        while (Interlocked.Add(ref _resyncsPending, -seen) > 0);
    }

    /// <summary>
    /// Waits until a ping published now comes back through the subscription: from then on every publication reaches
    /// this node, so what the store holds at that point plus what arrives afterwards leaves no gap.
    /// </summary>
    private async Task SubscriptionHeardAsync()
    {
        var deadline = time.GetUtcNow() + PingPatience;
        while (time.GetUtcNow() < deadline)
        {
            var ping = (Nonce: Guid.NewGuid(), Heard: new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            lock (_lock) _ping = ping;
            try
            {
                await redis.GetSubscriber().PublishAsync(Channel, JsonSerializer.Serialize(new Message(_origin, null, null, null, ping.Nonce), JobMapping.Json));
                await ping.Heard.Task.WaitAsync(PingInterval, time);
                return;
            }
            catch (Exception e) when (e is TimeoutException or RedisException)
            {
                await Task.Delay(PingInterval, time);
            }
        }
        logger.LogWarning("The Redis subscription did not echo a ping within {Seconds} s; re-announcing from the store anyway", PingPatience.TotalSeconds);
    }

    private void HeardPing(Guid nonce)
    {
        lock (_lock)
        {
            if (_ping is { } ping && ping.Nonce == nonce) ping.Heard.TrySetResult();
        }
    }

    /// <summary>
    /// The newest stored event of each followed job (a follower behind it sees a jump and reads the rest from the
    /// store) and a snapshot of each job of a followed workspace that changed since the subscription was lost.
    /// Snapshots carry no queue position; the next change of the job brings it back.
    /// </summary>
    private async Task ReannounceAsync(DateTime since)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        foreach (var jobId in bus.FollowedJobs)
        {
            var newest = await db.JobEvents.AsNoTracking().Where(e => e.JobId == jobId).OrderByDescending(e => e.Id).FirstOrDefaultAsync();
            if (newest is not null) bus.Publish([newest.ToDto()]);
        }
        var workspaces = bus.FollowedWorkspaces;
        if (workspaces.Count == 0) return;
        // A little before the loss was noticed: a write and its lost publication may straddle it.
        var from = since - TimeSpan.FromSeconds(5);
        var changed = await db.Jobs.AsNoTracking()
            .Where(j => workspaces.Contains(j.WorkspaceId) && j.UpdatedAt >= from)
            .ToListAsync();
        foreach (var job in changed) bus.PublishJob(job.WorkspaceId, job.ToDto());
        logger.LogInformation("Redis subscription back: re-announced {Jobs} followed jobs and {Changed} changed jobs from the store", bus.FollowedJobs.Count, changed.Count);
    }

    private sealed record Message(Guid Origin, IReadOnlyList<JobEventDto>? Events, Guid? WorkspaceId, JobDto? Job, Guid? Ping);
}
