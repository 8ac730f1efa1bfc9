using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Tests.Infrastructure;

namespace PromptStudio.Web.Tests.Api;

[Trait(Suites.Trait, Suites.Api)]
public sealed class OptimizationApiTests : IAsyncLifetime
{
    private readonly StudioFactory _factory = new();
    private HttpClient _http = null!;

    public async ValueTask InitializeAsync() => _http = await _factory.CreateOwnerClientAsync();

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task WholeFlow_CreatesPromptAndDataset_RunsDryRunJob_AndSavesNewPromptVersion()
    {
        var prompt = await Created<PromptDto>(await _http.PostAsJsonAsync("/api/prompts",
            new CreatePromptRequest("Ticket triage", "Route this ticket to a team: {{ ticket }}\nCustomer tier: {{tier}}")));
        Assert.Equal(["ticket", "tier"], prompt.Variables);
        Assert.Equal(1, prompt.Version);

        var items = Enumerable.Range(1, 8).Select(i => new DatasetItemInput(
            new() { ["ticket"] = Json($"ticket {i}"), ["tier"] = Json(i % 2 == 0 ? "gold" : 3) },
            i % 3 == 0 ? "billing" : "support", $"case-{i}")).ToList();
        var dataset = await Created<DatasetDto>(await _http.PostAsJsonAsync("/api/datasets", new CreateDatasetRequest("Tickets", items)));
        Assert.Equal(8, dataset.ItemCount);

        var job = await _http.StartJobAsync(prompt.Id, dataset.Id, Configs.Fast(maxIterations: 4, seed: 3));
        Assert.Equal("queued", job.Status);

        var done = await _http.WaitForStatusAsync(job.Id, "completed");
        Assert.Equal(100, done.Progress);
        Assert.NotNull(done.BaselineScore);
        Assert.True(done.BestScore >= done.BaselineScore);
        Assert.NotNull(done.StopReason);
        Assert.True(done.Usage.LlmCalls > 0);

        var results = (await _http.GetFromJsonAsync<JobResultsDto>($"/api/optimization/{job.Id}/results"))!;
        Assert.Equal(done.BestScore, results.FinalScore);
        Assert.Equal(done.BestScore - done.BaselineScore, results.Improvement);
        Assert.Equal(Enumerable.Range(0, done.CurrentIteration + 1), results.Iterations.Select(i => i.Iteration));
        Assert.Single(results.Iterations[0].Candidates);

        if (done.BestPrompt != prompt.Template)
        {
            Assert.NotNull(done.ResultPromptId);
            var versions = (await _http.GetFromJsonAsync<List<PromptDto>>($"/api/prompts/{prompt.Id}/versions"))!;
            Assert.Equal([1, 2], versions.Select(v => v.Version));
            var newest = versions[^1];
            Assert.Equal(done.ResultPromptId, newest.Id);
            Assert.True(newest.IsLatest);
            Assert.False(versions[0].IsLatest);
            Assert.Equal(job.Id, newest.SourceJobId);
            Assert.Equal(done.BestPrompt, newest.Template);
            Assert.Equal(["ticket", "tier"], newest.Variables);
        }
        else
        {
            Assert.Null(done.ResultPromptId);
        }
    }

    [Fact]
    public async Task DemoWorkspace_HasAPromptWithVariables_AndAtLeastTwelveItems()
    {
        var prompts = (await _http.GetFromJsonAsync<List<PromptDto>>("/api/prompts"))!;
        var demo = Assert.Single(prompts);
        Assert.NotEmpty(demo.Variables);
        var datasets = (await _http.GetFromJsonAsync<List<DatasetDto>>("/api/datasets"))!;
        Assert.True(Assert.Single(datasets).ItemCount >= 12);
    }

    [Fact]
    public async Task Events_AreNumberedFromOneWithoutGaps_AndCoverTheLifecycle()
    {
        var job = await _http.StartJobAsync(config: Configs.Fast(maxIterations: 3));
        await _http.WaitForStatusAsync(job.Id, "completed");

        var events = await _http.GetEventsAsync(job.Id);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Id));
        Assert.Equal(JobEventTypes.JobQueued, events[0].Type);
        Assert.Equal(JobEventTypes.JobStarted, events[1].Type);
        Assert.Equal(JobEventTypes.JobComplete, events[^1].Type);
        Assert.Contains(events, e => e.Type == JobEventTypes.MutationGenerated && e.Data.GetProperty("template").GetString()!.Length > 0);
        Assert.Equal(4, events.Count(e => e.Type == JobEventTypes.IterationComplete));

        var tail = await _http.GetEventsAsync(job.Id, after: 5);
        Assert.Equal(events.Skip(5).Select(e => e.Id), tail.Select(e => e.Id));
    }

    [Fact]
    public async Task PauseResumeCancel_MoveTheJob_AndRefusedActionsAnswer409WithTheCurrentState()
    {
        var job = await _http.StartJobAsync(config: Configs.Fast(maxIterations: 50, latencyMs: 20));
        await _http.WaitForJobAsync(job.Id, j => j.Status == "running" && j.CurrentIteration >= 2);

        var refused = await _http.PostAsync($"/api/optimization/{job.Id}/resume", null);
        await AssertConflictAsync(refused, "running", "resume");

        var paused = await Ok<JobDto>(await _http.PostAsync($"/api/optimization/{job.Id}/pause", null));
        Assert.Equal("paused", paused.Status);
        Assert.Equal(["resume", "cancel"], paused.AllowedActions);
        await AssertConflictAsync(await _http.PostAsync($"/api/optimization/{job.Id}/pause", null), "paused", "pause");

        var resumed = await Ok<JobDto>(await _http.PostAsync($"/api/optimization/{job.Id}/resume", null));
        Assert.Equal("running", resumed.Status);
        await _http.WaitForJobAsync(job.Id, j => j.CurrentIteration > paused.CurrentIteration);

        var cancelled = await Ok<JobDto>(await _http.PostAsync($"/api/optimization/{job.Id}/cancel", null));
        Assert.Equal("cancelled", cancelled.Status);
        Assert.Empty(cancelled.AllowedActions);
        Assert.NotNull(cancelled.BestScore);
        await AssertConflictAsync(await _http.PostAsync($"/api/optimization/{job.Id}/cancel", null), "cancelled", "cancel");

        var types = (await _http.GetEventsAsync(job.Id)).Select(e => e.Type).ToList();
        Assert.True(types.IndexOf(JobEventTypes.JobPaused) < types.IndexOf(JobEventTypes.JobResumed));
        Assert.Equal(JobEventTypes.JobCancelled, types[^1]);
    }

    [Fact]
    public async Task Cancel_WorksOnAQueuedJob()
    {
        await using var factory = new StudioFactory(workers: 1);
        var http = await factory.CreateOwnerClientAsync();
        var blocker = await http.StartJobAsync(config: Configs.Fast(maxIterations: 100, latencyMs: 30));
        await http.WaitForStatusAsync(blocker.Id, "running");
        var queued = await http.StartJobAsync();
        var fresh = await http.GetJobAsync(queued.Id);
        Assert.Equal("queued", fresh.Status);
        Assert.Equal(1, fresh.QueuePosition);
        Assert.Contains("worker", fresh.QueueReason);

        var cancelled = await Ok<JobDto>(await http.PostAsync($"/api/optimization/{queued.Id}/cancel", null));
        Assert.Equal("cancelled", cancelled.Status);
        Assert.Null(cancelled.StartedAt);
        await Ok<JobDto>(await http.PostAsync($"/api/optimization/{blocker.Id}/cancel", null));
    }

    [Fact]
    public async Task TwentyJobs_WithTwoWorkers_AllComplete()
    {
        var jobs = new List<JobDto>();
        for (var i = 0; i < 20; i++) jobs.Add(await _http.StartJobAsync(config: Configs.Fast(maxIterations: 3, seed: i)));

        foreach (var job in jobs) await _http.WaitForStatusAsync(job.Id, "completed", timeoutSeconds: 120);
        var list = (await _http.GetFromJsonAsync<List<JobDto>>("/api/optimization?status=completed&limit=50"))!;
        Assert.Equal(20, list.Count);
        Assert.All(list, j => Assert.Equal(100, j.Progress));
    }

    [Fact]
    public async Task ListJobs_FiltersByStatus_AndRejectsUnknownStatus()
    {
        var job = await _http.StartJobAsync(config: Configs.Fast(maxIterations: 1));
        await _http.WaitForStatusAsync(job.Id, "completed");
        Assert.Empty((await _http.GetFromJsonAsync<List<JobDto>>("/api/optimization?status=failed"))!);
        Assert.Single((await _http.GetFromJsonAsync<List<JobDto>>("/api/optimization?status=completed&limit=1"))!);

        var bad = await _http.GetAsync("/api/optimization?status=sleeping");
        var problem = await Problem(bad, HttpStatusCode.BadRequest);
        Assert.Contains("status", problem.GetProperty("errors").EnumerateObject().Select(p => p.Name));
    }

    [Theory]
    [InlineData("{\"promptId\":1,\"datasetId\":1,\"config\":{\"dryRun\":true,\"maxIterations\":101}}", "config.maxIterations", "between 1 and 100")]
    [InlineData("{\"promptId\":1,\"datasetId\":1,\"config\":{\"dryRun\":true,\"targetScore\":1.1}}", "config.targetScore", "between 0.0 and 1.0")]
    [InlineData("{\"promptId\":1,\"datasetId\":1,\"config\":{\"dryRun\":true,\"patience\":0}}", "config.patience", "between 1 and 50")]
    [InlineData("{\"promptId\":1,\"datasetId\":1,\"config\":{\"dryRun\":true,\"tuningParams\":{\"temprature\":1}}}", "config.tuningParams.temprature", "not a known tuning parameter")]
    [InlineData("{\"promptId\":99,\"datasetId\":1,\"config\":{\"dryRun\":true}}", "promptId", "not found")]
    [InlineData("{\"promptId\":1,\"datasetId\":1,\"config\":{\"model\":\"gpt-x\"}}", "config.model", "gpt-x")]
    public async Task StartJob_WithBadInput_Answers400NamingTheFieldAndRule(string body, string field, string rule)
    {
        var response = await _http.PostAsync("/api/optimization", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var problem = await Problem(response, HttpStatusCode.BadRequest);
        var messages = problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(m => m.GetString()!);
        Assert.Contains(messages, m => m.Contains(rule, StringComparison.OrdinalIgnoreCase));
        Assert.Empty((await _http.GetFromJsonAsync<List<JobDto>>("/api/optimization"))!);
    }

    [Fact]
    public async Task StartJob_RefusesADatasetItemWithoutAVariable_NamingTheItemAndVariable()
    {
        var prompt = await Created<PromptDto>(await _http.PostAsJsonAsync("/api/prompts", new CreatePromptRequest("Two vars", "{{a}} and {{b}}")));
        var dataset = await Created<DatasetDto>(await _http.PostAsJsonAsync("/api/datasets", new CreateDatasetRequest("Partial",
        [
            new(new() { ["a"] = Json("1"), ["b"] = Json("2") }, "x"),
            new(new() { ["a"] = Json("1") }, "y", "lonely"),
        ])));

        var response = await _http.PostAsJsonAsync("/api/optimization", new StartOptimizationRequest(prompt.Id, dataset.Id, Configs.Fast()));
        var problem = await Problem(response, HttpStatusCode.BadRequest);
        var message = problem.GetProperty("errors").GetProperty("datasetId")[0].GetString()!;
        Assert.Contains("'lonely'", message);
        Assert.Contains("'b'", message);
    }

    [Fact]
    public async Task StartJob_OnASmallDataset_WarnsOnTheJob()
    {
        var prompt = await Created<PromptDto>(await _http.PostAsJsonAsync("/api/prompts", new CreatePromptRequest("Echo", "Say {{word}}")));
        var dataset = await Created<DatasetDto>(await _http.PostAsJsonAsync("/api/datasets", new CreateDatasetRequest("Tiny",
            [new(new() { ["word"] = Json("hi") }, "hi"), new(new() { ["word"] = Json("yo") }, "yo")])));

        var job = await _http.StartJobAsync(prompt.Id, dataset.Id, Configs.Fast(maxIterations: 1));
        Assert.Contains(job.Warnings, w => w.Contains("only 2 items"));
    }

    [Theory]
    [InlineData("/api/optimization/00000000-0000-0000-0000-000000000001")]
    [InlineData("/api/optimization/00000000-0000-0000-0000-000000000001/results")]
    [InlineData("/api/optimization/00000000-0000-0000-0000-000000000001/events")]
    [InlineData("/api/prompts/424242")]
    [InlineData("/api/prompts/424242/versions")]
    [InlineData("/api/datasets/424242")]
    [InlineData("/api/datasets/424242/items")]
    public async Task UnknownIds_Answer404ProblemDetails(string url)
    {
        var problem = await Problem(await _http.GetAsync(url), HttpStatusCode.NotFound);
        Assert.Contains("not found", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task MalformedJson_Answers400ProblemDetails()
    {
        var response = await _http.PostAsync("/api/prompts", new StringContent("{\"name\": ", System.Text.Encoding.UTF8, "application/json"));
        await Problem(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Prompts_AddVersion_KeepsOneLatest_AndValidatesTheTemplate()
    {
        var v1 = await Created<PromptDto>(await _http.PostAsJsonAsync("/api/prompts", new CreatePromptRequest("Greeter", "Hello {{name}}")));
        var v2 = await Created<PromptDto>(await _http.PostAsJsonAsync($"/api/prompts/{v1.Id}/versions", new AddPromptVersionRequest("Hi {{name}}!")));
        Assert.Equal((2, v1.GroupId, "Greeter"), (v2.Version, v2.GroupId, v2.Name));

        var latest = (await _http.GetFromJsonAsync<List<PromptDto>>("/api/prompts"))!;
        Assert.Contains(latest, p => p.Id == v2.Id);
        Assert.DoesNotContain(latest, p => p.Id == v1.Id);

        var problem = await Problem(await _http.PostAsJsonAsync($"/api/prompts/{v1.Id}/versions", new AddPromptVersionRequest("  ")), HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("template", out _));
        problem = await Problem(await _http.PostAsJsonAsync("/api/prompts", new CreatePromptRequest(null, "x")), HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("name", out _));
    }

    [Fact]
    public async Task Datasets_ItemsArePaged_AndBadItemsAreRejectedByIndex()
    {
        var items = (await _http.GetFromJsonAsync<Page<DatasetItemDto>>("/api/datasets/1/items?offset=10&limit=4"))!;
        Assert.Equal(4, items.Items.Count);
        Assert.True(items.Total >= 12);

        var added = await _http.PostAsJsonAsync("/api/datasets/1/items", new AddDatasetItemsRequest([new(new() { ["product"] = Json("mug"), ["review"] = Json("fine") }, "neutral")]));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);

        var bad = await _http.PostAsJsonAsync("/api/datasets/1/items", new AddDatasetItemsRequest([new(new() { ["product"] = Json("a") }, "x"), new(null, "y")]));
        var problem = await Problem(bad, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("items[1].input", out _));
        Assert.Equal(items.Total + 1, (await _http.GetFromJsonAsync<Page<DatasetItemDto>>("/api/datasets/1/items"))!.Total);
    }

    [Fact]
    public async Task OpenApiDocument_IsServed()
    {
        var doc = await _http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        Assert.True(doc.GetProperty("paths").TryGetProperty("/api/optimization/{id}/pause", out _));
    }

    private static JsonElement Json(object value) => JsonSerializer.SerializeToElement(value);

    private static async Task<T> Created<T>(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<T>())!;
    }

    private static async Task<T> Ok<T>(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<T>())!;
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement;
    }

    private static async Task AssertConflictAsync(HttpResponseMessage response, string state, string action)
    {
        var problem = await Problem(response, HttpStatusCode.Conflict);
        Assert.Equal(state, problem.GetProperty("currentState").GetString());
        Assert.Equal(action, problem.GetProperty("action").GetString());
        Assert.Contains(state, problem.GetProperty("detail").GetString());
    }
}
