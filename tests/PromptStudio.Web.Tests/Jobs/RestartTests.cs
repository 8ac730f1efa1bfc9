using System.Net.Http.Json;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Tests.Infrastructure;

namespace PromptStudio.Web.Tests.Jobs;

[Trait(Suites.Trait, Suites.Engine)]
public sealed class RestartTests
{
    [Fact]
    public async Task StoppingTheHostMidJob_AndStartingANewOne_ResumesFromTheCheckpoint_WithoutReevaluatingSavedWork()
    {
        var path = Path.Combine(Path.GetTempPath(), $"promptstudio-restart-{Guid.NewGuid():N}.db");
        Guid jobId;
        int iterationAtStop;
        await using (var first = new StudioFactory(path, ownsDatabase: false))
        {
            var http = await first.CreateOwnerClientAsync();
            var job = await http.StartJobAsync(config: Configs.Fast(maxIterations: 8, seed: 11, latencyMs: 15));
            jobId = job.Id;
            var running = await http.WaitForJobAsync(job.Id, j => j.CurrentIteration >= 3);
            iterationAtStop = running.CurrentIteration;
        }

        await using var second = new StudioFactory(path);
        var http2 = await second.CreateOwnerClientAsync();
        var done = await http2.WaitForStatusAsync(jobId, "completed", timeoutSeconds: 90);
        Assert.Equal(100, done.Progress);

        var events = await http2.GetEventsAsync(jobId);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Id));

        // Every candidate was evaluated once, across both hosts: saved evaluations were not redone.
        var evaluations = events.Where(e => e.Type == JobEventTypes.EvaluationComplete)
            .Select(e => (e.Iteration, Index: e.Data.GetProperty("index").GetInt32())).ToList();
        Assert.Equal(evaluations.Count, evaluations.Distinct().Count());
        var iterationsDone = events.Where(e => e.Type == JobEventTypes.IterationComplete).Select(e => e.Iteration).ToList();
        Assert.Equal(iterationsDone.Distinct().Count(), iterationsDone.Count);
        Assert.Equal(Enumerable.Range(0, 9).Select(i => (int?)i), iterationsDone);

        // The second host picked the job up where the first left it.
        var restarts = events.Where(e => e.Type == JobEventTypes.JobStarted).ToList();
        Assert.Equal(2, restarts.Count);
        Assert.True(restarts[1].Data.GetProperty("resumedAfterIteration").GetInt32() >= iterationAtStop - 1);

        // And the outcome equals a run of the same job straight through.
        var straight = await http2.StartJobAsync(config: Configs.Fast(maxIterations: 8, seed: 11));
        var reference = await http2.WaitForStatusAsync(straight.Id, "completed");
        Assert.Equal(reference.BestScore, done.BestScore);
        Assert.Equal(reference.BestPrompt, done.BestPrompt);
    }

    [Fact]
    public async Task QueuedJobs_AreReenqueuedInCreationOrder_AfterARestart()
    {
        var path = Path.Combine(Path.GetTempPath(), $"promptstudio-queue-{Guid.NewGuid():N}.db");
        var ids = new List<Guid>();
        await using (var first = new StudioFactory(path, workers: 1, ownsDatabase: false))
        {
            var http = await first.CreateOwnerClientAsync();
            ids.Add((await http.StartJobAsync(config: Configs.Fast(maxIterations: 100, latencyMs: 20))).Id);
            for (var i = 0; i < 3; i++) ids.Add((await http.StartJobAsync(config: Configs.Fast(maxIterations: 1, seed: i))).Id);
            await http.WaitForStatusAsync(ids[0], "running");
            Assert.Equal([1, 2, 3], (await Task.WhenAll(ids.Skip(1).Select(http.GetJobAsync))).Select(j => j.QueuePosition!.Value));
        }

        await using var second = new StudioFactory(path, workers: 1);
        var http2 = await second.CreateOwnerClientAsync();
        await http2.PostAsync($"/api/optimization/{ids[0]}/cancel", null);
        foreach (var id in ids.Skip(1)) await http2.WaitForStatusAsync(id, "completed");
        var started = await Task.WhenAll(ids.Skip(1).Select(http2.GetJobAsync));
        Assert.Equal(started.OrderBy(j => j.StartedAt).Select(j => j.Id), ids.Skip(1));
    }
}
