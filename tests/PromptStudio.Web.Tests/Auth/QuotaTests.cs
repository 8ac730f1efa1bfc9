using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Tests.Infrastructure;

namespace PromptStudio.Web.Tests.Auth;

[Trait(Suites.Trait, Suites.Api)]
public sealed class QuotaTests : IAsyncLifetime
{
    private readonly StudioFactory _factory = new();
    private HttpClient _owner = null!;
    private Guid _workspace;

    public async ValueTask InitializeAsync()
    {
        _owner = await _factory.CreateOwnerClientAsync();
        _workspace = (await _owner.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("workspaceId").GetGuid();
    }

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    private async Task<JsonElement> WorkspaceAsync() => await _owner.GetFromJsonAsync<JsonElement>($"/api/workspaces/{_workspace}");

    private async Task SetLimitAsync(int limit) =>
        Assert.Equal(HttpStatusCode.OK, (await _owner.PutAsJsonAsync($"/api/workspaces/{_workspace}/limit", new { iterationLimit = limit })).StatusCode);

    [Fact]
    public async Task StartingAJobPastTheLimit_IsRefused_WithUsageLimitAndRequest()
    {
        var first = await _owner.StartJobAsync(config: Configs.Fast(maxIterations: 3));
        await _owner.WaitForStatusAsync(first.Id, "completed");
        var used = (await WorkspaceAsync()).GetProperty("iterationsUsed").GetInt32();
        Assert.Equal(3, used);
        await SetLimitAsync(used + 5);

        var response = await _owner.PostAsJsonAsync("/api/optimization", new StartOptimizationRequest(1, 1, Configs.Fast(maxIterations: 10)));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal($"Trial limit exceeded: {used} of {used + 5} iteration-runs used; this job needs up to 10.", problem.GetProperty("detail").GetString());
        Assert.Equal(used, problem.GetProperty("used").GetInt32());
        Assert.Equal(used + 5, problem.GetProperty("limit").GetInt32());
        Assert.Equal(10, problem.GetProperty("requested").GetInt32());
    }

    [Fact]
    public async Task AJobThatReachesTheLimit_StopsWithQuota_KeepingItsBestPrompt()
    {
        var job = await _owner.StartJobAsync(config: Configs.Fast(maxIterations: 40, latencyMs: 10));
        var running = await _owner.WaitForJobAsync(job.Id, j => j.CurrentIteration >= 2);
        var used = (await WorkspaceAsync()).GetProperty("iterationsUsed").GetInt32();
        await SetLimitAsync(used + 2);

        var done = await _owner.WaitForJobAsync(job.Id, j => j.Status is "completed" or "failed");
        Assert.Equal("completed", done.Status);
        Assert.Equal(StopReasons.Quota, done.StopReason);
        Assert.NotNull(done.BestPrompt);
        Assert.True(done.BestScore >= done.BaselineScore);
        Assert.Equal(used + 2, (await WorkspaceAsync()).GetProperty("iterationsUsed").GetInt32());
        Assert.InRange(done.CurrentIteration, running.CurrentIteration, used + 2);
        var events = await _owner.GetEventsAsync(job.Id);
        Assert.Equal(StopReasons.Quota, events[^1].Data.GetProperty("stopReason").GetString());
    }

    [Fact]
    public async Task Everyone_SeesUsage_ButOnlyAdminsRaiseTheLimit()
    {
        var invite = await _owner.PostAsJsonAsync($"/api/workspaces/{_workspace}/invitations", new { role = "member" });
        var token = (await invite.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        var member = await _factory.CreateUserClientAsync("mia@test.local", token);

        var seen = await member.GetFromJsonAsync<JsonElement>($"/api/workspaces/{_workspace}");
        Assert.True(seen.GetProperty("iterationLimit").GetInt32() > 0);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.PutAsJsonAsync($"/api/workspaces/{_workspace}/limit", new { iterationLimit = 99999 })).StatusCode);
    }
}

[Trait(Suites.Trait, Suites.Api)]
public sealed class RateLimitTests
{
    [Fact]
    public async Task APIRequestsPastTheLimit_Get429WithRetryAfter()
    {
        await using var factory = new StudioFactory(settings: ("Auth:RequestsPerMinute", "5"));
        var http = await factory.CreateOwnerClientAsync();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 20 && refused is null; i++)
        {
            var response = await http.GetAsync("/api/prompts");
            if (response.StatusCode == HttpStatusCode.TooManyRequests) refused = response;
        }
        Assert.NotNull(refused);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
    }
}
