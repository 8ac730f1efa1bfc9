using System.Net;
using System.Net.Http.Json;
using PromptStudio.Client;
using PromptStudio.Web.Tests.Infrastructure;
using Xunit;

namespace PromptStudio.Web.Tests.Providers;

/// <summary>Non-dryRun jobs through the real API, workers, LLM pipeline and an OpenAI-compatible fake server.</summary>
[Trait(Suites.Trait, Suites.Engine)]
public sealed class RealJobTests : FakeServerTestBase
{
    protected override FakeReply DefaultReply(FakeCall call) => ProvidersTestApp.CapitalsScript(call);

    [Fact]
    public async Task Job_Completes_WhenAProviderServesItsModel_SendingRenderedPromptsAndSavingTheResultVersion()
    {
        await App.CreateProviderAsync(Server);
        var (promptId, datasetId) = await App.CreateCapitalsAsync();

        var job = await App.StartJobAsync(promptId, datasetId, new { candidatesPerIteration = 2 });
        job = await App.WaitUntilFinishedAsync(job.Id);

        Assert.Equal("completed", job.Status);
        Assert.Equal("target_reached", job.StopReason);
        Assert.Equal(0, job.BaselineScore);
        Assert.Equal(1, job.BestScore);
        Assert.Contains(Server.Calls, c => c.UserText == "What is the capital of Kenya?");
        Assert.Contains(Server.Calls, c => c.IsMutation && c.UserText.Contains("Expected output: Nairobi", StringComparison.Ordinal));
        Assert.All(Server.Calls, c => Assert.Equal("Bearer " + ProvidersTestApp.ApiKey, c.Authorization));

        var result = await App.CreateClient().GetFromJsonAsync<PromptDto>($"/api/prompts/{job.ResultPromptId}", ProvidersTestApp.Json, Ct);
        Assert.Equal(2, result!.Version);
        Assert.StartsWith("Answer with the city name only.", result.Template, StringComparison.Ordinal);
        Assert.Equal(job.Id, result.SourceJobId);
    }

    [Fact]
    public async Task UsageAndCost_EqualTheSumOfWhatTheServerReported()
    {
        await App.CreateProviderAsync(Server);
        var (promptId, datasetId) = await App.CreateCapitalsAsync();

        var job = await App.StartJobAsync(promptId, datasetId, new { candidatesPerIteration = 1 });
        job = await App.WaitUntilFinishedAsync(job.Id);

        Assert.Equal("completed", job.Status);
        Assert.Equal(Server.Answered.Count, job.Usage.LlmCalls);
        Assert.Equal(Server.TotalInputTokens, job.Usage.InputTokens);
        Assert.Equal(Server.TotalOutputTokens, job.Usage.OutputTokens);
        Assert.Equal((Server.TotalInputTokens * 1.5m + Server.TotalOutputTokens * 6m) / 1_000_000m, job.Usage.CostUsd);
    }

    [Fact]
    public async Task Start_IsRefusedNamingTheModel_WhenNoProviderServesIt()
    {
        await App.CreateProviderAsync(Server);
        var (promptId, datasetId) = await App.CreateCapitalsAsync();

        var response = await App.PostJobAsync(promptId, datasetId, "gpt-unknown");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("config.model", body, StringComparison.Ordinal);
        Assert.Contains("gpt-unknown", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_UsesTheWorkspaceDefaultModel_WhenNoModelIsGiven()
    {
        await App.CreateProviderAsync(Server);
        var (promptId, datasetId) = await App.CreateCapitalsAsync();

        var response = await App.PostJobAsync(promptId, datasetId, model: null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await response.Content.ReadFromJsonAsync<JobDto>(ProvidersTestApp.Json, Ct);
        Assert.Equal(ProvidersTestApp.Model, job!.Config.Model);
    }

    [Fact]
    public async Task Unauthorized_IsNotRetried_AndFailsTheJobWithTheProvidersMessage()
    {
        Server.Script = _ => FakeReply.Error(401, "Incorrect API key provided: sk-te***9f3a.");
        await App.CreateProviderAsync(Server);
        var (promptId, datasetId) = await App.CreateCapitalsAsync();

        var job = await App.StartJobAsync(promptId, datasetId, new { concurrency = 1 });
        job = await App.WaitUntilFinishedAsync(job.Id);

        Assert.Equal("failed", job.Status);
        Assert.Contains("Incorrect API key provided", job.Error, StringComparison.Ordinal);
        Assert.Contains("401", job.Error, StringComparison.Ordinal);
        Assert.Contains("'fake'", job.Error, StringComparison.Ordinal);
        Assert.Single(Server.Calls);
    }

    [Fact]
    public async Task ServerErrors_AreRetried_ThenFailTheJobNamingProviderStatusAndMessage()
    {
        Server.Script = _ => FakeReply.Error(503, "The engine is overloaded.");
        await App.CreateProviderAsync(Server);
        var (promptId, datasetId) = await App.CreateCapitalsAsync();

        var job = await App.StartJobAsync(promptId, datasetId, new { concurrency = 2 });
        job = await App.WaitUntilFinishedAsync(job.Id);

        Assert.Equal("failed", job.Status);
        Assert.Contains("Provider 'fake' answered 503", job.Error, StringComparison.Ordinal);
        Assert.Contains("The engine is overloaded.", job.Error, StringComparison.Ordinal);
        // Each of the six items: the first attempt and four retries.
        Assert.Equal(6 * 5, Server.Calls.Count);
    }

    [Fact]
    public async Task MalformedJson_IsRecordedAsAFailedItemScoredZero()
    {
        Server.Script = call => !call.IsMutation && call.UserText.Contains("Kenya", StringComparison.Ordinal)
            ? new FakeReply(RawBody: "{\"choices\": [ {\"message\": ")
            : ProvidersTestApp.CapitalsScript(call);
        await App.CreateProviderAsync(Server);
        var (promptId, datasetId) = await App.CreateCapitalsAsync();

        var job = await App.StartJobAsync(promptId, datasetId, new { candidatesPerIteration = 1 }, maxIterations: 1);
        job = await App.WaitUntilFinishedAsync(job.Id);

        Assert.Equal("completed", job.Status);
        var results = await App.CreateClient().GetFromJsonAsync<JobResultsDto>($"/api/optimization/{job.Id}/results?items=true", ProvidersTestApp.Json, Ct);
        var kenya = results!.Iterations[0].Candidates[0].Items!.Single(i => i.Error is not null);
        Assert.Equal(0, kenya.Score);
        Assert.Null(kenya.Output);
        Assert.Equal(5.0 / 6, job.BestScore!.Value, 6);
    }

    [Fact]
    public async Task Budget_StopsTheJobWithStopReasonBudget_KeepingTheBestPrompt()
    {
        await App.CreateProviderAsync(Server);
        var (promptId, datasetId) = await App.CreateCapitalsAsync();

        // Baseline: 6 calls; iteration 1: one mutation call and one evaluation call, then the budget is spent.
        var job = await App.StartJobAsync(promptId, datasetId, new { candidatesPerIteration = 1, concurrency = 1, maxLlmCalls = 8 });
        job = await App.WaitUntilFinishedAsync(job.Id);

        Assert.Equal("completed", job.Status);
        Assert.Equal("budget", job.StopReason);
        Assert.Equal(8, Server.Calls.Count);
        Assert.Equal(8, job.Usage.LlmCalls);
        Assert.Equal(Server.TotalInputTokens, job.Usage.InputTokens);
        Assert.Equal("What is the capital of {{country}}?", job.BestPrompt);
        Assert.Null(job.ResultPromptId);
    }

    [Fact]
    public async Task InFlightRequests_NeverExceedTheProvidersMaxConcurrency_AcrossJobs()
    {
        Server.Script = call => ProvidersTestApp.CapitalsScript(call) with { Delay = TimeSpan.FromMilliseconds(60) };
        await App.CreateProviderAsync(Server, maxConcurrency: 2);
        var (promptId, datasetId) = await App.CreateCapitalsAsync();

        var first = await App.StartJobAsync(promptId, datasetId, new { concurrency = 8, candidatesPerIteration = 1 });
        var second = await App.StartJobAsync(promptId, datasetId, new { concurrency = 8, candidatesPerIteration = 1, seed = 3 });
        Assert.Equal("completed", (await App.WaitUntilFinishedAsync(first.Id)).Status);
        Assert.Equal("completed", (await App.WaitUntilFinishedAsync(second.Id)).Status);

        Assert.Equal(2, Server.MaxInFlight);
    }

    [Fact]
    public async Task Cancel_AbortsInFlightRequests()
    {
        Server.Script = call => new FakeReply(Hang: true);
        await App.CreateProviderAsync(Server);
        var (promptId, datasetId) = await App.CreateCapitalsAsync();
        var job = await App.StartJobAsync(promptId, datasetId, new { concurrency = 3 });
        await Eventually.WaitAsync(() => Server.InFlight == 3, TimeSpan.FromSeconds(20), () => $"{Server.InFlight} in flight");

        var cancel = await App.CreateClient().PostAsync($"/api/optimization/{job.Id}/cancel", null, Ct);

        cancel.EnsureSuccessStatusCode();
        Assert.Equal("cancelled", (await App.WaitUntilFinishedAsync(job.Id)).Status);
        await Eventually.WaitAsync(() => Server.Aborted == 3 && Server.InFlight == 0, TimeSpan.FromSeconds(10), () => $"{Server.Aborted} aborted");
    }

    [Fact]
    public async Task ARunningJob_SaysInQueueReason_WhenItsProviderIsSaturated()
    {
        Server.Script = _ => new FakeReply(Hang: true);
        await App.CreateProviderAsync(Server, maxConcurrency: 1);
        var (promptId, datasetId) = await App.CreateCapitalsAsync();

        var job = await App.StartJobAsync(promptId, datasetId, new { concurrency = 4 });
        job = await App.WaitForJobAsync(job.Id, j => j.QueueReason?.Contains("saturated", StringComparison.Ordinal) == true);

        Assert.Equal("running", job.Status);
        Assert.Contains("Waiting for provider 'fake': it is saturated", job.QueueReason, StringComparison.Ordinal);
        (await App.CreateClient().PostAsync($"/api/optimization/{job.Id}/cancel", null, Ct)).EnsureSuccessStatusCode();
    }

    /// <summary>
    /// Starts a job whose first few calls are answered and every later one hangs, waits until those answers are
    /// in the cache, then pauses it with calls in flight. Waiting for the cache (not only for the server to have
    /// written the answers) matters: a pause aborts in-flight calls, and an answer the engine had not read yet
    /// is rightly asked for again.
    /// </summary>
    private async Task<(JobDto Job, HashSet<string> Answered, int Calls)> PauseMidEvaluationAsync()
    {
        const int Answers = 3;
        var answersLeft = Answers;
        Server.Script = call => Interlocked.Decrement(ref answersLeft) >= 0 ? ProvidersTestApp.CapitalsScript(call) : new FakeReply(Hang: true);
        await App.CreateProviderAsync(Server);
        var (promptId, datasetId) = await App.CreateCapitalsAsync();
        var job = await App.StartJobAsync(promptId, datasetId, new { concurrency = 2, candidatesPerIteration = 1 });
        await Eventually.WaitAsync(async () => await App.CachedAnswersAsync() >= Answers, TimeSpan.FromSeconds(20));
        (await App.CreateClient().PostAsync($"/api/optimization/{job.Id}/pause", null, Ct)).EnsureSuccessStatusCode();
        await App.WaitForJobAsync(job.Id, j => j.Status == "paused");
        Server.Script = ProvidersTestApp.CapitalsScript;
        return (job, Server.Answered.Select(c => c.AllText).ToHashSet(), Server.Calls.Count);
    }

    [Fact]
    public async Task Resume_AfterPause_ResendsNoCallAlreadyAnswered()
    {
        var (job, answeredBeforePause, callsBeforePause) = await PauseMidEvaluationAsync();

        (await App.CreateClient().PostAsync($"/api/optimization/{job.Id}/resume", null, Ct)).EnsureSuccessStatusCode();
        job = await App.WaitUntilFinishedAsync(job.Id);

        Assert.Equal("completed", job.Status);
        var resent = Server.Calls.Skip(callsBeforePause).Where(c => answeredBeforePause.Contains(c.AllText)).ToList();
        Assert.Empty(resent);
        Assert.True(job.Usage.CacheHits >= 1, $"{job.Usage.CacheHits} cache hits");
    }

    [Fact]
    public async Task AfterARestart_TheKeyStillDecrypts_AndAResumedJobResendsNoAnsweredCall()
    {
        var (job, answeredBeforeRestart, callsBeforeRestart) = await PauseMidEvaluationAsync();
        App.KeepData = true;
        await App.DisposeAsync();

        // Durability: the cache's last batch was written at shutdown, and the key ring lives beside the database.
        await using var restarted = new ProvidersTestApp(dataDirectory: App.DataDirectory) { KeepData = false };
        (await restarted.CreateClient().PostAsync($"/api/optimization/{job.Id}/resume", null, Ct)).EnsureSuccessStatusCode();
        job = await restarted.WaitUntilFinishedAsync(job.Id);

        Assert.Equal("completed", job.Status);
        Assert.All(Server.Calls.Skip(callsBeforeRestart), c => Assert.Equal("Bearer " + ProvidersTestApp.ApiKey, c.Authorization));
        Assert.DoesNotContain(Server.Calls.Skip(callsBeforeRestart), c => answeredBeforeRestart.Contains(c.AllText));
        Assert.True(job.Usage.CacheHits >= 1, $"{job.Usage.CacheHits} cache hits");
    }

    [Fact]
    public async Task OllamaProvider_RunsAJobThroughItsChatEndpoint()
    {
        await App.CreateProviderAsync(Server, kind: "ollama");
        var (promptId, datasetId) = await App.CreateCapitalsAsync();

        var job = await App.StartJobAsync(promptId, datasetId, new { candidatesPerIteration = 1 });
        job = await App.WaitUntilFinishedAsync(job.Id);

        Assert.Equal("completed", job.Status);
        Assert.Equal(1, job.BestScore);
        Assert.All(Server.Calls, c => Assert.Equal("/api/chat", c.Path));
        Assert.Equal(Server.TotalInputTokens, job.Usage.InputTokens);
    }
}
