using System.Collections.Concurrent;
using System.Diagnostics;
using PromptStudio.Scale.Tests.Infrastructure;
using StackExchange.Redis;

namespace PromptStudio.Scale.Tests;

/// <summary>
/// Pause and cancel asked for on one node reach the job's owner on the other through the Redis control channel,
/// without waiting for the owner's next heartbeat to read the request from the job row.
/// </summary>
public sealed class JobControlTests(ITestOutputHelper output)
{
    /// <summary>"Within a second or two" of the issue; the heartbeat fallback alone needs up to a second plus a checkpoint.</summary>
    private static readonly TimeSpan Promptly = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task PauseAndCancel_AskedOnTheOtherNode_StopTheOwnersJobPromptly()
    {
        await using var cluster = await Cluster.StartAsync(lease: TimeSpan.FromSeconds(30));
        var job = await cluster.StartJobAsync(cluster["node-a"], maxIterations: 100, latencyMs: 30);
        // What goes over the control channel: the asking node's signal to the owner.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Servers.Redis);
        var signals = new ConcurrentQueue<string>();
        await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal("promptstudio:job-control"), (_, message) => signals.Enqueue(message.ToString()));

        var pauses = await cluster.PauseAcrossNodesAsync(job.Id, rounds: 5);

        await cluster.WaitForJobAsync(job.Id, j => j.Status == "running" && j.LeaseOwner is not null, TimeSpan.FromSeconds(30));
        var holder = await cluster.OwnerAsync(job.Id);
        var cancelClock = Stopwatch.StartNew();
        var cancelled = await cluster.ControlAsync(cluster.Other(holder), job.Id, "cancel");
        var cancel = cancelClock.Elapsed.TotalMilliseconds;
        Assert.Equal("cancelled", cancelled.Status);

        var inOrder = string.Join(", ", pauses.Select(p => $"{p:0}"));
        pauses.Sort();
        output.WriteLine($"pause asked on the other node, answered paused: median {pauses[pauses.Count / 2]:0} ms, max {pauses[^1]:0} ms over {pauses.Count} (in order: {inOrder}); " +
            $"cancel: {cancel:0} ms (lease 30 s, so no lease expiry is involved)");
        Assert.True(pauses[pauses.Count / 2] < Promptly.TotalMilliseconds, $"pause took {pauses[pauses.Count / 2]:0} ms (median)");
        Assert.True(cancel < Promptly.TotalMilliseconds * 2, $"cancel took {cancel:0} ms");
        // One signal per pause and one for the cancel, each sent by the node that was asked, since it did not run the job.
        Assert.Equal(Enumerable.Repeat(job.Id.ToString("N"), pauses.Count + 1), signals);
        var row = await cluster.JobAsync(job.Id);
        Assert.Equal(("cancelled", null), (row.Status, row.LeaseOwner));
    }
}
