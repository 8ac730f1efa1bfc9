using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR.Client;
using PromptStudio.Client;

namespace PromptStudio.Scale.Tests.Infrastructure;

/// <summary>A hub client following one job on one node: every event it is sent, with when it arrived.</summary>
public sealed class Follower : IAsyncDisposable
{
    private readonly HubConnection _hub;
    private readonly Guid _jobId;

    private Follower(HubConnection hub, Guid jobId, Node node)
    {
        _hub = hub;
        _jobId = jobId;
        Node = node;
        hub.On<JobEventDto>("JobEvent", e => Received.Enqueue((e, DateTime.UtcNow)));
    }

    public Node Node { get; }

    public ConcurrentQueue<(JobEventDto Event, DateTime At)> Received { get; } = new();

    public IReadOnlyList<long> Ids => Received.Select(r => r.Event.Id).ToList();

    public long LastId => Received.IsEmpty ? 0 : Received.Max(r => r.Event.Id);

    public static async Task<Follower> StartAsync(Cluster cluster, Node node, Guid jobId, long afterEventId = 0)
    {
        var follower = new Follower(await cluster.ConnectHubAsync(node), jobId, node);
        await follower._hub.InvokeAsync("Subscribe", jobId, afterEventId);
        return follower;
    }

    /// <summary>Until the follower has every event up to <paramref name="lastEventId"/> (or more than that many, which the caller's assertion names).</summary>
    public Task WaitForAsync(long lastEventId, TimeSpan timeout, Func<string> logs) =>
        Wait.UntilAsync(() => Received.Count >= lastEventId, timeout,
            () => $"{Received.Count} of {lastEventId} events of job {_jobId} on {Node.Name} (last {LastId})\n{logs()}");

    public ValueTask DisposeAsync() => _hub.DisposeAsync();
}
