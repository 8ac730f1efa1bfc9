using System.Diagnostics;
using PromptStudio.Scale.Tests.Infrastructure;

namespace PromptStudio.Scale.Tests;

/// <summary>
/// The numbers of docs/benchmarks.md (scale-out), opt-in because they take minutes: set <c>SCALE_BENCH=1</c> and run
/// <c>dotnet test tests/PromptStudio.Scale.Tests --filter Category=Benchmark --logger "console;verbosity=detailed"</c>
/// with PostgreSQL and Redis as for the other scale tests. Each prints its result; none asserts more than that it ran.
/// </summary>
[Trait("Category", "Benchmark")]
public sealed class ScaleBenchmarks(ITestOutputHelper output)
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);

    private static void RequireOptIn() =>
        Assert.SkipUnless(Environment.GetEnvironmentVariable("SCALE_BENCH") == "1", "Benchmarks run only with SCALE_BENCH=1.");

    [Fact]
    public async Task TakeOverAfterKill9_Over10Runs()
    {
        RequireOptIn();
        await using var cluster = await Cluster.StartAsync(lease: Lease);
        var times = new List<double>();
        for (var run = 0; run < 10; run++)
        {
            var live = cluster.Nodes.First(n => !n.HasExited);
            var job = await cluster.StartJobAsync(live, maxIterations: 100, latencyMs: 30);
            await cluster.WaitForJobAsync(job.Id, j => j.CompletedIterations >= 1 && j.LeaseOwner is not null, TimeSpan.FromSeconds(60));
            var owner = await cluster.OwnerAsync(job.Id);
            var before = (await cluster.JobAsync(job.Id)).LeaseVersion;

            owner.KillHard();
            var clock = Stopwatch.StartNew();
            var survivor = cluster.Other(owner);
            await cluster.WaitForJobAsync(job.Id, j => j.LeaseVersion > before, TimeSpan.FromSeconds(60));
            times.Add(clock.Elapsed.TotalMilliseconds);

            await cluster.ControlAsync(survivor, job.Id, "cancel");
            await cluster.RestartAsync(owner);
        }
        times.Sort();
        output.WriteLine($"take-over after kill -9 (lease {Lease.TotalSeconds} s, poll 500 ms), 10 runs: median {Median(times):0} ms, max {times[^1]:0} ms " +
            $"({string.Join(", ", times.Select(t => $"{t:0}"))})");
    }

    [Fact]
    public async Task JobsPerMinute_OneNodeAndTwo()
    {
        RequireOptIn();
        const int jobs = 100;
        foreach (var nodes in new[] { 1, 2 })
        {
            await using var cluster = await Cluster.StartAsync(nodes: nodes, lease: TimeSpan.FromSeconds(10));
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < jobs; i++) await cluster.StartJobAsync(cluster.Nodes[i % nodes], maxIterations: 1, latencyMs: 0, seed: i);
            await Wait.UntilAsync(async () => (await cluster.QueryAsync("""SELECT count(*) FROM "Jobs" WHERE "Status" = 'completed'""", r => r.GetInt64(0)))[0] == jobs,
                TimeSpan.FromMinutes(5), cluster.Logs);
            output.WriteLine($"{nodes} node(s), 2 workers each: {jobs} dryRun jobs (1 iteration, 0 ms latency) in {clock.Elapsed.TotalSeconds:0.0} s = {jobs / clock.Elapsed.TotalMinutes:0} jobs/minute");
        }
    }

    [Fact]
    public async Task CrossNodeEventDelay()
    {
        RequireOptIn();
        await using var cluster = await Cluster.StartAsync();
        var delays = new List<double>();
        for (var run = 0; run < 3; run++)
        {
            var job = await cluster.StartJobAsync(cluster["node-a"], maxIterations: 10, latencyMs: 20, seed: run);
            var owner = await cluster.OwnerAsync(job.Id);
            await using var follower = await Follower.StartAsync(cluster, cluster.Other(owner), job.Id);
            var subscribedAt = DateTime.UtcNow;
            var done = await cluster.WaitForJobAsync(job.Id, j => j.Status == "completed", TimeSpan.FromSeconds(120));
            await follower.WaitForAsync(done.LastEventId, TimeSpan.FromSeconds(10), cluster.Logs);
            // Only events created after the subscription: the ones before it come from the replay, not from Redis.
            delays.AddRange(follower.Received.Where(r => r.Event.Timestamp.UtcDateTime > subscribedAt).Select(r => (r.At - r.Event.Timestamp.UtcDateTime).TotalMilliseconds));
        }
        delays.Sort();
        output.WriteLine($"cross-node event delay (created on the owner → received by a hub client on the other node), {delays.Count} live events of 3 jobs: " +
            $"median {Median(delays):0.0} ms, p95 {delays[(int)(delays.Count * 0.95)]:0.0} ms, max {delays[^1]:0.0} ms");
    }

    [Fact]
    public async Task PauseAcrossNodes_Over10Runs()
    {
        RequireOptIn();
        await using var cluster = await Cluster.StartAsync(lease: TimeSpan.FromSeconds(30));
        var job = await cluster.StartJobAsync(cluster["node-a"], maxIterations: 100, latencyMs: 30);
        var pauses = await cluster.PauseAcrossNodesAsync(job.Id, rounds: 10);
        var inOrder = string.Join(", ", pauses.Select(t => $"{t:0}"));
        pauses.Sort();
        output.WriteLine($"pause asked on the node that does not run the job, until answered paused, 10 runs: median {Median(pauses):0} ms, max {pauses[^1]:0} ms (in order: {inOrder})");
    }

    private static double Median(List<double> sorted) => sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}
