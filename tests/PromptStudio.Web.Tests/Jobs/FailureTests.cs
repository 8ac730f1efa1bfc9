using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Data;
using PromptStudio.Web.Tests.Infrastructure;

namespace PromptStudio.Web.Tests.Jobs;

[Trait(Suites.Trait, Suites.Engine)]
public sealed class FailureTests
{
    [Fact]
    public async Task AnExceptionInsideAJob_FailsThatJobWithAReadableError_AndOtherJobsKeepRunning()
    {
        await using var factory = new StudioFactory(workers: 1);
        var http = await factory.CreateOwnerClientAsync();
        var prompt = (await (await http.PostAsJsonAsync("/api/prompts", new CreatePromptRequest("Echo", "Repeat {{word}}"))).Content.ReadFromJsonAsync<PromptDto>())!;
        var items = Enumerable.Range(0, 6).Select(i => new DatasetItemInput(new() { ["word"] = System.Text.Json.JsonSerializer.SerializeToElement($"w{i}") }, $"w{i}")).ToList();
        var dataset = (await (await http.PostAsJsonAsync("/api/datasets", new CreateDatasetRequest("Words", items))).Content.ReadFromJsonAsync<DatasetDto>())!;

        var blocker = await http.StartJobAsync(config: Configs.Fast(maxIterations: 100, latencyMs: 20));
        await http.WaitForStatusAsync(blocker.Id, "running");
        var doomed = await http.StartJobAsync(prompt.Id, dataset.Id, Configs.Fast(maxIterations: 3));
        var healthy = await http.StartJobAsync(config: Configs.Fast(maxIterations: 2, seed: 2));

        // Break the queued job's data behind the API's back: its items lose the variable the prompt needs.
        // (Quoted names: PostgreSQL folds unquoted ones to lower case.)
        await using (var db = await factory.Service<IDbContextFactory<StudioDbContext>>().CreateDbContextAsync())
            await db.Database.ExecuteSqlRawAsync("""UPDATE "DatasetItems" SET "Input" = {0} WHERE "DatasetId" = {1}""", """{"other":"x"}""", dataset.Id);
        await http.PostAsync($"/api/optimization/{blocker.Id}/cancel", null);

        var failed = await http.WaitForJobAsync(doomed.Id, j => j.Status is "failed" or "completed");
        Assert.Equal("failed", failed.Status);
        Assert.Contains("'word'", failed.Error);
        Assert.Contains("6 of 6 items failed", failed.Error);
        Assert.Equal(StopReasons.Error, failed.StopReason);
        Assert.Empty(failed.AllowedActions);

        var events = await http.GetEventsAsync(doomed.Id);
        Assert.Equal(JobEventTypes.JobFailed, events[^1].Type);
        Assert.Contains("'word'", events[^1].Data.GetProperty("error").GetString());

        Assert.Equal("completed", (await http.WaitForJobAsync(healthy.Id, j => j.Status is "completed" or "failed")).Status);
    }
}
