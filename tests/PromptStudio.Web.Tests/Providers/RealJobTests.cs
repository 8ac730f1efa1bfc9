using System.Net;
using System.Net.Http.Json;
using PromptStudio.Client;
using Xunit;

namespace PromptStudio.Web.Tests.Providers;

/// <summary>Non-dryRun jobs through the real API, workers, LLM pipeline and an OpenAI-compatible fake server.</summary>
public sealed class RealJobTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FakeLlmServer _server = null!;
    private ProvidersTestApp _app = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await FakeLlmServer.StartAsync();
        _server.Script = ProvidersTestApp.CapitalsScript;
        _app = new ProvidersTestApp();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Job_Completes_WhenAProviderServesItsModel_SendingRenderedPromptsAndSavingTheResultVersion()
    {
        await _app.CreateProviderAsync(_server);
        var (promptId, datasetId) = await _app.CreateCapitalsAsync();

        var job = await _app.StartJobAsync(promptId, datasetId, new { candidatesPerIteration = 2 });
        job = await _app.WaitUntilFinishedAsync(job.Id);

        Assert.Equal("completed", job.Status);
        Assert.Equal("target_reached", job.StopReason);
        Assert.Equal(0, job.BaselineScore);
        Assert.Equal(1, job.BestScore);
        Assert.Contains(_server.Calls, c => c.UserText == "What is the capital of Kenya?");
        Assert.Contains(_server.Calls, c => c.IsMutation && c.UserText.Contains("Expected output: Nairobi", StringComparison.Ordinal));
        Assert.All(_server.Calls, c => Assert.Equal("Bearer " + ProvidersTestApp.ApiKey, c.Authorization));

        var result = await _app.CreateClient().GetFromJsonAsync<PromptDto>($"/api/prompts/{job.ResultPromptId}", ProvidersTestApp.Json, Ct);
        Assert.Equal(2, result!.Version);
        Assert.StartsWith("Answer with the city name only.", result.Template, StringComparison.Ordinal);
        Assert.Equal(job.Id, result.SourceJobId);
    }

    [Fact]
    public async Task UsageAndCost_EqualTheSumOfWhatTheServerReported()
    {
        await _app.CreateProviderAsync(_server);
        var (promptId, datasetId) = await _app.CreateCapitalsAsync();

        var job = await _app.StartJobAsync(promptId, datasetId, new { candidatesPerIteration = 1 });
        job = await _app.WaitUntilFinishedAsync(job.Id);

        Assert.Equal("completed", job.Status);
        Assert.Equal(_server.Answered.Count, job.Usage.LlmCalls);
        Assert.Equal(_server.TotalInputTokens, job.Usage.InputTokens);
        Assert.Equal(_server.TotalOutputTokens, job.Usage.OutputTokens);
        Assert.Equal((_server.TotalInputTokens * 1.5m + _server.TotalOutputTokens * 6m) / 1_000_000m, job.Usage.CostUsd);
    }

    [Fact]
    public async Task Start_IsRefusedNamingTheModel_WhenNoProviderServesIt()
    {
        await _app.CreateProviderAsync(_server);
        var (promptId, datasetId) = await _app.CreateCapitalsAsync();

        var response = await _app.PostJobAsync(promptId, datasetId, "gpt-unknown");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("config.model", body, StringComparison.Ordinal);
        Assert.Contains("gpt-unknown", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_UsesTheWorkspaceDefaultModel_WhenNoModelIsGiven()
    {
        await _app.CreateProviderAsync(_server);
        var (promptId, datasetId) = await _app.CreateCapitalsAsync();

        var response = await _app.PostJobAsync(promptId, datasetId, model: null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await response.Content.ReadFromJsonAsync<JobDto>(ProvidersTestApp.Json, Ct);
        Assert.Equal(ProvidersTestApp.Model, job!.Config.Model);
    }

    [Fact]
    public async Task Unauthorized_IsNotRetried_AndFailsTheJobWithTheProvidersMessage()
    {
        _server.Script = _ => FakeReply.Error(401, "Incorrect API key provided: sk-te***9f3a.");
        await _app.CreateProviderAsync(_server);
        var (promptId, datasetId) = await _app.CreateCapitalsAsync();

        var job = await _app.StartJobAsync(promptId, datasetId, new { concurrency = 1 });
        job = await _app.WaitUntilFinishedAsync(job.Id);

        Assert.Equal("failed", job.Status);
        Assert.Contains("Incorrect API key provided", job.Error, StringComparison.Ordinal);
        Assert.Contains("401", job.Error, StringComparison.Ordinal);
        Assert.Contains("'fake'", job.Error, StringComparison.Ordinal);
        Assert.Single(_server.Calls);
    }

    [Fact]
    public async Task ServerErrors_AreRetried_ThenFailTheJobNamingProviderStatusAndMessage()
    {
        _server.Script = _ => FakeReply.Error(503, "The engine is overloaded.");
        await _app.CreateProviderAsync(_server);
        var (promptId, datasetId) = await _app.CreateCapitalsAsync();

        var job = await _app.StartJobAsync(promptId, datasetId, new { concurrency = 2 });
        job = await _app.WaitUntilFinishedAsync(job.Id);

        Assert.Equal("failed", job.Status);
        Assert.Contains("Provider 'fake' answered 503", job.Error, StringComparison.Ordinal);
        Assert.Contains("The engine is overloaded.", job.Error, StringComparison.Ordinal);
        // Each of the six items: the first attempt and four retries.
        Assert.Equal(6 * 5, _server.Calls.Count);
    }

    [Fact]
    public async Task MalformedJson_IsRecordedAsAFailedItemScoredZero()
    {
        _server.Script = call => !call.IsMutation && call.UserText.Contains("Kenya", StringComparison.Ordinal)
            ? new FakeReply(RawBody: "{\"choices\": [ {\"message\": ")
            : ProvidersTestApp.CapitalsScript(call);
        await _app.CreateProviderAsync(_server);
        var (promptId, datasetId) = await _app.CreateCapitalsAsync();

        var job = await _app.StartJobAsync(promptId, datasetId, new { candidatesPerIteration = 1 }, maxIterations: 1);
        job = await _app.WaitUntilFinishedAsync(job.Id);

        Assert.Equal("completed", job.Status);
        var results = await _app.CreateClient().GetFromJsonAsync<JobResultsDto>($"/api/optimization/{job.Id}/results?items=true", ProvidersTestApp.Json, Ct);
        var kenya = results!.Iterations[0].Candidates[0].Items!.Single(i => i.Error is not null);
        Assert.Equal(0, kenya.Score);
        Assert.Null(kenya.Output);
        Assert.Equal(5.0 / 6, job.BestScore!.Value, 6);
    }

    [Fact]
    public async Task Budget_StopsTheJobWithStopReasonBudget_KeepingTheBestPrompt()
    {
        await _app.CreateProviderAsync(_server);
        var (promptId, datasetId) = await _app.CreateCapitalsAsync();

        // Baseline: 6 calls; iteration 1: one mutation call and one evaluation call, then the budget is spent.
        var job = await _app.StartJobAsync(promptId, datasetId, new { candidatesPerIteration = 1, concurrency = 1, maxLlmCalls = 8 });
        job = await _app.WaitUntilFinishedAsync(job.Id);

        Assert.Equal("completed", job.Status);
        Assert.Equal("budget", job.StopReason);
        Assert.Equal(8, _server.Calls.Count);
        Assert.Equal("What is the capital of {{country}}?", job.BestPrompt);
        Assert.Null(job.ResultPromptId);
    }

    [Fact]
    public async Task InFlightRequests_NeverExceedTheProvidersMaxConcurrency_AcrossJobs()
    {
        _server.Script = call => ProvidersTestApp.CapitalsScript(call) with { Delay = TimeSpan.FromMilliseconds(60) };
        await _app.CreateProviderAsync(_server, maxConcurrency: 2);
        var (promptId, datasetId) = await _app.CreateCapitalsAsync();

        var first = await _app.StartJobAsync(promptId, datasetId, new { concurrency = 8, candidatesPerIteration = 1 });
        var second = await _app.StartJobAsync(promptId, datasetId, new { concurrency = 8, candidatesPerIteration = 1, seed = 3 });
        Assert.Equal("completed", (await _app.WaitUntilFinishedAsync(first.Id)).Status);
        Assert.Equal("completed", (await _app.WaitUntilFinishedAsync(second.Id)).Status);

        Assert.Equal(2, _server.MaxInFlight);
    }

    [Fact]
    public async Task Cancel_AbortsInFlightRequests()
    {
        _server.Script = call => new FakeReply(Hang: true);
        await _app.CreateProviderAsync(_server);
        var (promptId, datasetId) = await _app.CreateCapitalsAsync();
        var job = await _app.StartJobAsync(promptId, datasetId, new { concurrency = 3 });
        await Eventually.WaitAsync(() => _server.InFlight == 3, TimeSpan.FromSeconds(20), () => $"{_server.InFlight} in flight");

        var cancel = await _app.CreateClient().PostAsync($"/api/optimization/{job.Id}/cancel", null, Ct);

        cancel.EnsureSuccessStatusCode();
        Assert.Equal("cancelled", (await _app.WaitUntilFinishedAsync(job.Id)).Status);
        await Eventually.WaitAsync(() => _server.Aborted == 3 && _server.InFlight == 0, TimeSpan.FromSeconds(10), () => $"{_server.Aborted} aborted");
    }

    [Fact]
    public async Task Resume_AfterPause_ResendsNoCallAlreadyAnswered()
    {
        _server.Script = call => ProvidersTestApp.CapitalsScript(call) with { Delay = TimeSpan.FromMilliseconds(150) };
        await _app.CreateProviderAsync(_server);
        var (promptId, datasetId) = await _app.CreateCapitalsAsync();
        var job = await _app.StartJobAsync(promptId, datasetId, new { concurrency = 2, candidatesPerIteration = 1 });
        await Eventually.WaitAsync(() => _server.Answered.Count >= 2, TimeSpan.FromSeconds(20));

        (await _app.CreateClient().PostAsync($"/api/optimization/{job.Id}/pause", null, Ct)).EnsureSuccessStatusCode();
        await _app.WaitForJobAsync(job.Id, j => j.Status == "paused");
        var answeredBeforePause = _server.Answered.Select(c => c.AllText).ToHashSet();
        var callsBeforePause = _server.Calls.Count;

        (await _app.CreateClient().PostAsync($"/api/optimization/{job.Id}/resume", null, Ct)).EnsureSuccessStatusCode();
        job = await _app.WaitUntilFinishedAsync(job.Id);

        Assert.Equal("completed", job.Status);
        var resent = _server.Calls.Skip(callsBeforePause).Where(c => answeredBeforePause.Contains(c.AllText)).ToList();
        Assert.Empty(resent);
        Assert.True(job.Usage.CacheHits >= 1, $"{job.Usage.CacheHits} cache hits");
    }

    [Fact]
    public async Task OllamaProvider_RunsAJobThroughItsChatEndpoint()
    {
        await _app.CreateProviderAsync(_server, kind: "ollama");
        var (promptId, datasetId) = await _app.CreateCapitalsAsync();

        var job = await _app.StartJobAsync(promptId, datasetId, new { candidatesPerIteration = 1 });
        job = await _app.WaitUntilFinishedAsync(job.Id);

        Assert.Equal("completed", job.Status);
        Assert.Equal(1, job.BestScore);
        Assert.All(_server.Calls, c => Assert.Equal("/api/chat", c.Path));
        Assert.Equal(_server.TotalInputTokens, job.Usage.InputTokens);
    }
}
