using PromptStudio.Core.Jobs;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Tests.Infrastructure;

namespace PromptStudio.Web.Tests.Jobs;

public sealed class InterruptTests
{
    /// <summary>
    /// A control signal that outlived its request (one delivered late through Redis, say) trips the job's token with no
    /// pause or cancel on the row: the job must run on from its checkpoint, not be left running with nobody on it.
    /// </summary>
    [Fact]
    public async Task AJobTrippedWithoutARequest_RunsOn_AndEndsAsAnUninterruptedRunDoes()
    {
        await using var factory = new StudioFactory();
        var http = await factory.CreateOwnerClientAsync();
        var job = await http.StartJobAsync(config: Configs.Fast(maxIterations: 6, seed: 5, latencyMs: 15));
        await http.WaitForJobAsync(job.Id, j => j.CurrentIteration >= 2);

        var running = factory.Service<RunningJobs>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!running.Interrupt(job.Id))
        {
            Assert.True(DateTime.UtcNow < deadline, "the job never ran");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        var done = await http.WaitForStatusAsync(job.Id, "completed");
        var events = await http.GetEventsAsync(job.Id);
        Assert.Equal(2, events.Count(e => e.Type == JobEventTypes.JobStarted));
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Id));
        var straight = await http.WaitForStatusAsync((await http.StartJobAsync(config: Configs.Fast(maxIterations: 6, seed: 5))).Id, "completed");
        Assert.Equal((straight.BestScore, straight.BestPrompt, straight.Usage.LlmCalls), (done.BestScore, done.BestPrompt, done.Usage.LlmCalls));
    }
}
