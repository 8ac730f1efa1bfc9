using System.Diagnostics;
using System.Net;
using PromptStudio.Scale.Tests.Infrastructure;

namespace PromptStudio.Scale.Tests;

/// <summary>
/// Redis goes away (kill -9) while hub clients follow a job running on the other node, and comes back on the same
/// port. Events are in the database all along; Redis only carried them. The cluster runs on a Redis server of its
/// own, so the shared one is never touched.
/// </summary>
public sealed class RedisOutageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RedisOutage_WhileClientsFollowAJobOnTheOtherNode_LeavesNoGapAndNoDuplicate_AndPubSubRecovers()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await Cluster.StartAsync(lease: TimeSpan.FromSeconds(30), redis: redis.ConnectionString);
        var job = await cluster.StartJobAsync(cluster["node-a"], maxIterations: 100, latencyMs: 30);
        var owner = await cluster.OwnerAsync(job.Id);
        var watcher = cluster.Other(owner);

        // One client stays connected through the outage; the other goes away with it and comes back later.
        await using var staying = await Follower.StartAsync(cluster, watcher, job.Id);
        var leaving = await Follower.StartAsync(cluster, owner, job.Id);
        await Wait.UntilAsync(() => staying.Received.Count >= 5 && leaving.Received.Count >= 5, TimeSpan.FromSeconds(30), cluster.Logs);

        redis.Kill();
        await leaving.DisposeAsync();
        var leftAfter = leaving.LastId;
        // Let the job run on into the outage, so that events are published while nobody can relay them.
        await Wait.UntilAsync(async () => (await cluster.JobAsync(job.Id)).LastEventId >= Math.Max(leftAfter, staying.LastId) + 5,
            TimeSpan.FromSeconds(30), cluster.Logs);

        // Without Redis the cancel still reaches the owner: its heartbeat reads the request from the job row.
        var clock = Stopwatch.StartNew();
        var cancelled = await cluster.ControlAsync(watcher, job.Id, "cancel");
        output.WriteLine($"cancel during the outage (heartbeat fallback): {clock.ElapsedMilliseconds} ms");
        Assert.Equal("cancelled", cancelled.Status);
        var done = await cluster.JobAsync(job.Id);
        var heardBeforeRestore = staying.LastId;

        await redis.StartAgainAsync();
        clock.Restart();

        // The client that stayed gets the rest once the watcher's subscription is back (job_cancelled was published into the void).
        await staying.WaitForAsync(done.LastEventId, Reconnect, cluster.Logs);
        output.WriteLine($"staying client: {heardBeforeRestore} events before Redis came back, all {done.LastEventId} {clock.ElapsedMilliseconds} ms after");
        Assert.Equal(Enumerable.Range(1, (int)done.LastEventId).Select(i => (long)i), staying.Ids);
        Assert.Equal("job_cancelled", staying.Received.Last().Event.Type);

        // The client that left resubscribes with its last id, on the other node, and gets exactly the rest.
        await using (var back = await Follower.StartAsync(cluster, watcher, job.Id, leftAfter))
        {
            // The stream sends in id order and drops ids it has sent, so nothing can follow the terminal event:
            // once the count is reached, a duplicate would already show as a wrong sequence.
            await back.WaitForAsync(done.LastEventId - leftAfter, TimeSpan.FromSeconds(10), cluster.Logs);
            Assert.Equal(Enumerable.Range((int)leftAfter + 1, (int)(done.LastEventId - leftAfter)).Select(i => (long)i), back.Ids);
        }

        // Pub/sub is back on both nodes: a new job streams live to a client on the node that does not run it, and both are healthy.
        foreach (var node in cluster.Nodes)
            await Wait.UntilAsync(async () => await ReadyAsync(node), Reconnect, () => $"{node.Name} not healthy after Redis came back");
        var next = await cluster.StartJobAsync(cluster["node-a"], maxIterations: 5, latencyMs: 30);
        var nextOwner = await cluster.OwnerAsync(next.Id);
        await using var live = await Follower.StartAsync(cluster, cluster.Other(nextOwner), next.Id);
        var completed = await cluster.WaitForJobAsync(next.Id, j => j.Status == "completed", TimeSpan.FromSeconds(60));
        await live.WaitForAsync(completed.LastEventId, TimeSpan.FromSeconds(10), cluster.Logs);
        Assert.Equal(Enumerable.Range(1, (int)completed.LastEventId).Select(i => (long)i), live.Ids);
    }

    private static async Task<bool> ReadyAsync(Node node)
    {
        using var http = new HttpClient { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            // While Redis is away the nodes answer 200 "Degraded": they serve on, and all of them share the one Redis.
            using var response = await http.GetAsync("health/ready");
            return response.StatusCode == HttpStatusCode.OK && await response.Content.ReadAsStringAsync() == "Healthy";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}
