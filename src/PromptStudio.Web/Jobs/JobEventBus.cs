using System.Collections.Concurrent;
using PromptStudio.Client;

namespace PromptStudio.Web.Jobs;

/// <summary>
/// Where a worker announces what it stored. In-process by default (<see cref="JobEventBus"/>); with Redis
/// configured, <see cref="RedisJobEventPublisher"/> sends it through Redis to every node's bus, this one included.
/// </summary>
public interface IJobEventPublisher
{
    void Publish(IReadOnlyList<JobEventDto> events);

    void PublishJob(Guid workspaceId, JobDto job);
}

/// <summary>
/// In-process fan-out of job events and job snapshots, after they are stored. Blazor components and the hub
/// subscribe here. Handlers run on the publisher's thread, so they must only hand the item on (to a channel
/// or a throttled redraw) and return.
/// </summary>
public sealed class JobEventBus(ILogger<JobEventBus> logger) : IJobEventPublisher
{
    private readonly ConcurrentDictionary<Guid, Subscribers<JobEventDto>> _jobs = new();
    private readonly ConcurrentDictionary<Guid, Subscribers<JobDto>> _workspaces = new();

    public IDisposable SubscribeJob(Guid jobId, Action<JobEventDto> handler) =>
        _jobs.GetOrAdd(jobId, _ => new()).Add(handler);

    public IDisposable SubscribeWorkspace(Guid workspaceId, Action<JobDto> handler) =>
        _workspaces.GetOrAdd(workspaceId, _ => new()).Add(handler);

    /// <summary>Jobs someone on this node follows right now (a hub stream, a job page, a control request).</summary>
    public IReadOnlyList<Guid> FollowedJobs => _jobs.Where(kv => kv.Value.Count > 0).Select(kv => kv.Key).ToList();

    /// <summary>Workspaces whose job list someone on this node follows right now.</summary>
    public IReadOnlyList<Guid> FollowedWorkspaces => _workspaces.Where(kv => kv.Value.Count > 0).Select(kv => kv.Key).ToList();

    public void Publish(IReadOnlyList<JobEventDto> events)
    {
        foreach (var e in events)
        {
            if (_jobs.TryGetValue(e.JobId, out var subscribers)) subscribers.Invoke(e, logger);
        }
    }

    public void PublishJob(Guid workspaceId, JobDto job)
    {
        if (_workspaces.TryGetValue(workspaceId, out var subscribers)) subscribers.Invoke(job, logger);
    }

    private sealed class Subscribers<T>
    {
        private ImmutableHandlers _handlers = new([]);

        public int Count => Volatile.Read(ref _handlers).Items.Length;

        public IDisposable Add(Action<T> handler)
        {
            ImmutableHandlers current, next;
            do
            {
                current = _handlers;
                next = new([.. current.Items, handler]);
            }
            while (Interlocked.CompareExchange(ref _handlers, next, current) != current);
            return new Subscription(() => Remove(handler));
        }

        private void Remove(Action<T> handler)
        {
            ImmutableHandlers current, next;
            do
            {
                current = _handlers;
                next = new(current.Items.Where(h => h != handler).ToArray());
            }
            while (Interlocked.CompareExchange(ref _handlers, next, current) != current);
        }

        public void Invoke(T item, ILogger logger)
        {
            foreach (var handler in _handlers.Items)
            {
                try
                {
                    handler(item);
                }
                catch (Exception e)
                {
                    // One broken subscriber must not stop the others or the worker that published.
                    logger.LogWarning(e, "A job event subscriber threw");
                }
            }
        }

        private sealed record ImmutableHandlers(Action<T>[] Items);
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;

        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
