using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using PromptStudio.Client;
using PromptStudio.Scale.Tests.Infrastructure;

namespace PromptStudio.Scale.Tests;

/// <summary>
/// Two app processes on one PostgreSQL + Redis. Jobs are dryRun, so an uninterrupted run of the same config and
/// seed is the reference for what an interrupted one must end with.
/// </summary>
public sealed class ScaleOutTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task JobRunningOnOneNode_StreamsToAHubClientOnTheOther()
    {
        await using var cluster = await Cluster.StartAsync();
        var job = await cluster.StartJobAsync(cluster["node-a"], maxIterations: 6, latencyMs: 20);
        var owner = await cluster.OwnerAsync(job.Id);
        var watcher = cluster.Other(owner);

        await using var follower = await Follower.StartAsync(cluster, watcher, job.Id);
        var subscribedAt = DateTime.UtcNow;

        var done = await cluster.WaitForJobAsync(job.Id, j => j.Status == "completed", TimeSpan.FromSeconds(90));
        await follower.WaitForAsync(done.LastEventId, TimeSpan.FromSeconds(10), cluster.Logs);

        Assert.Equal(Enumerable.Range(1, (int)done.LastEventId).Select(i => (long)i), follower.Ids);
        Assert.Equal("job_complete", follower.Received.Last().Event.Type);
        // Delivery delay across nodes: created on the owner to received by the other node's client, for the events created
        // after the subscription (the earlier ones come from the replay). ScaleBenchmarks measures it over more events.
        var live = follower.Received.Where(r => r.Event.Timestamp.UtcDateTime > subscribedAt).Select(r => (r.At - r.Event.Timestamp.UtcDateTime).TotalMilliseconds).Order().ToList();
        if (live.Count > 0)
            output.WriteLine($"cross-node delay over {live.Count} live events: median {live[live.Count / 2]:0.0} ms, p95 {live[(int)(live.Count * 0.95)]:0.0} ms (owner {owner.Name}, client {watcher.Name})");
    }

    [Fact]
    public async Task KilledOwner_IsTakenOverWithinLeaseAndPoll_AndTheJobCompletesAsIfUninterrupted()
    {
        await using var cluster = await Cluster.StartAsync();
        var job = await cluster.StartJobAsync(cluster["node-a"], maxIterations: 8, latencyMs: 30);
        await cluster.WaitForJobAsync(job.Id, j => j.CompletedIterations >= 2, TimeSpan.FromSeconds(60));
        var owner = await cluster.OwnerAsync(job.Id);
        var survivor = cluster.Other(owner);

        owner.KillHard();
        var clock = Stopwatch.StartNew();
        await cluster.WaitForJobAsync(job.Id, j => j.LeaseOwner == survivor.Name, Lease + Poll + TimeSpan.FromSeconds(5));
        output.WriteLine($"take-over after kill -9: {clock.ElapsedMilliseconds} ms (lease {Lease.TotalSeconds} s, poll {Poll.TotalMilliseconds} ms)");
        Assert.True(clock.Elapsed < Lease + Poll + TimeSpan.FromSeconds(2), $"take-over took {clock.ElapsedMilliseconds} ms");

        await AssertCompletesLikeAReferenceRunAsync(cluster, survivor, job.Id, maxIterations: 8, latencyMs: 30);
    }

    [Fact]
    public async Task StoppedOwner_WakingAfterTakeOver_IsFencedOffAndLetsGo()
    {
        await using var cluster = await Cluster.StartAsync();
        var job = await cluster.StartJobAsync(cluster["node-a"], maxIterations: 10, latencyMs: 30);
        await cluster.WaitForJobAsync(job.Id, j => j.CompletedIterations >= 2, TimeSpan.FromSeconds(60));
        var owner = await cluster.OwnerAsync(job.Id);
        var other = cluster.Other(owner);

        owner.Signal("STOP");
        var clock = Stopwatch.StartNew();
        var stopped = await cluster.JobAsync(job.Id);
        // The stopped node may hold an open transaction (and so the job row's lock): the server ends it after a lease,
        // so the other node can claim the job once the lease has run out either way.
        var heldTransaction = await cluster.IdleTransactionsAsync();
        var taken = await cluster.WaitForJobAsync(job.Id, j => j.LeaseVersion > stopped.LeaseVersion, TakeOverBound(Lease));
        output.WriteLine($"take-over after SIGSTOP: {clock.ElapsedMilliseconds} ms (lease {Lease.TotalSeconds} s, poll {Poll.TotalMilliseconds} ms; " +
            $"{heldTransaction} transaction(s) left open by the stopped node)");
        Assert.Equal(other.Name, taken.LeaseOwner ?? other.Name);
        await cluster.WaitForJobAsync(job.Id, j => j.CompletedIterations > taken.CompletedIterations || j.Status == "completed", TimeSpan.FromSeconds(30));
        owner.Signal("CONT");

        await AssertCompletesLikeAReferenceRunAsync(cluster, other, job.Id, maxIterations: 10, latencyMs: 30);
        await Wait.UntilAsync(() => owner.Output.Contains("was lost to another worker", StringComparison.Ordinal) || owner.Output.Contains("taken over by another worker", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), () => $"the old owner never noticed it was fenced off:\n{owner.Output}");
        Assert.False(owner.HasExited);
    }

    /// <summary>
    /// How long a take-over may take: the lease runs out (at most a lease after the owner's last renewal), the other
    /// node's next poll finds the job, and its claim and first write land. The slack covers a loaded 2-core machine
    /// (CI runs the nodes beside the test runner); the measured time is printed.
    /// </summary>
    private static TimeSpan TakeOverBound(TimeSpan lease) => lease + Poll + TimeSpan.FromSeconds(10);

    [Fact]
    public async Task TerminatedOwner_ReleasesItsJobs_AndTheOtherNodeResumesThemWithoutWaitingForTheLease()
    {
        var longLease = TimeSpan.FromSeconds(60);
        await using var cluster = await Cluster.StartAsync(lease: longLease);
        var job = await cluster.StartJobAsync(cluster["node-a"], maxIterations: 8, latencyMs: 30);
        await cluster.WaitForJobAsync(job.Id, j => j.CompletedIterations >= 2, TimeSpan.FromSeconds(60));
        var owner = await cluster.OwnerAsync(job.Id);
        var other = cluster.Other(owner);

        owner.Signal("TERM");
        var clock = Stopwatch.StartNew();
        await cluster.WaitForJobAsync(job.Id, j => j.LeaseOwner == other.Name, TimeSpan.FromSeconds(15));
        output.WriteLine($"resumed on {other.Name} {clock.ElapsedMilliseconds} ms after SIGTERM (lease {longLease.TotalSeconds} s)");
        Assert.True(await owner.WaitForExitAsync(TimeSpan.FromSeconds(30)), "the terminated node did not exit");

        await AssertCompletesLikeAReferenceRunAsync(cluster, other, job.Id, maxIterations: 8, latencyMs: 30);
    }

    [Fact]
    public async Task ManyJobsAcrossTwoNodes_AreEachClaimedByExactlyOneOwnerPerLeaseEpoch_AndAllComplete()
    {
        const int count = 200;
        await using var cluster = await Cluster.StartAsync(lease: TimeSpan.FromSeconds(10));
        var clock = Stopwatch.StartNew();
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++) ids.Add((await cluster.StartJobAsync(cluster.Nodes[i % 2], maxIterations: 1, latencyMs: 0, seed: i)).Id);

        await Wait.UntilAsync(async () => (await cluster.QueryAsync("""SELECT count(*) FROM "Jobs" WHERE "Status" = 'completed'""", r => r.GetInt64(0)))[0] == count,
            TimeSpan.FromSeconds(180), () => "not all jobs completed\n" + cluster.Logs());
        output.WriteLine($"{count} dryRun jobs through 2 nodes in {clock.Elapsed.TotalSeconds:0.0} s: {count / clock.Elapsed.TotalMinutes:0} jobs/minute");

        // One claim is one lease epoch and starts with one job_started event naming the node that claimed it.
        var starts = await cluster.QueryAsync("""
            SELECT j."Id", j."LeaseVersion", e."DataJson" FROM "Jobs" j JOIN "JobEvents" e ON e."JobId" = j."Id" AND e."Type" = 'job_started'
            """, r => (Id: r.GetGuid(0), Version: r.GetInt64(1), Node: JsonDocument.Parse(r.GetString(2)).RootElement.GetProperty("node").GetString()));
        Assert.Equal(count, starts.Select(s => s.Id).Distinct().Count());
        Assert.All(starts.GroupBy(s => s.Id), g => Assert.Equal(g.First().Version, g.Count()));
        var perNode = starts.GroupBy(s => s.Node).ToDictionary(g => g.Key!, g => g.Count());
        output.WriteLine("claims per node: " + string.Join(", ", perNode.Select(kv => $"{kv.Key} {kv.Value}")));
        Assert.Equal(2, perNode.Count);
    }

    /// <summary>
    /// The job completes with every iteration checkpointed once, in order, its events numbered without gaps,
    /// one iteration_complete per iteration, and the same usage and best score as the same config run without
    /// interruption: nothing lost, nothing applied or paid for twice.
    /// </summary>
    private static async Task AssertCompletesLikeAReferenceRunAsync(Cluster cluster, Node node, Guid jobId, int maxIterations, int latencyMs)
    {
        var done = await cluster.WaitForJobAsync(jobId, j => j.Status is "completed" or "failed", TimeSpan.FromSeconds(120));
        Assert.Equal("completed", done.Status);
        Assert.Null(done.LeaseOwner);

        var iterations = await cluster.QueryAsync("""SELECT "Iteration", "Completed" FROM "JobIterations" WHERE "JobId" = @id ORDER BY "Iteration" """,
            r => (Iteration: r.GetInt32(0), Completed: r.GetBoolean(1)), ("id", jobId));
        Assert.Equal(Enumerable.Range(0, done.CompletedIterations + 1), iterations.Select(i => i.Iteration));
        Assert.All(iterations, i => Assert.True(i.Completed));

        var events = await cluster.QueryAsync("""SELECT "Id", "Type", "Iteration" FROM "JobEvents" WHERE "JobId" = @id ORDER BY "Id" """,
            r => (Id: r.GetInt64(0), Type: r.GetString(1), Iteration: r.IsDBNull(2) ? (int?)null : r.GetInt32(2)), ("id", jobId));
        Assert.Equal(Enumerable.Range(1, (int)done.LastEventId).Select(i => (long)i), events.Select(e => e.Id));
        var completions = events.Where(e => e.Type == "iteration_complete").Select(e => e.Iteration!.Value).ToList();
        Assert.Equal(Enumerable.Range(0, done.CompletedIterations + 1), completions);

        var reference = await cluster.StartJobAsync(node, maxIterations, latencyMs);
        var expected = await cluster.WaitForJobAsync(reference.Id, j => j.Status == "completed", TimeSpan.FromSeconds(120));
        Assert.Equal((expected.CompletedIterations, expected.LlmCalls, expected.InputTokens, expected.OutputTokens, expected.BestScore),
            (done.CompletedIterations, done.LlmCalls, done.InputTokens, done.OutputTokens, done.BestScore));
    }
}
