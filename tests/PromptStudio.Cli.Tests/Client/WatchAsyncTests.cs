using System.Net;
using PromptStudio.Cli.Tests.Infrastructure;
using PromptStudio.Client;

namespace PromptStudio.Cli.Tests.Client;

public sealed class WatchAsyncTests(LiveServer server) : IClassFixture<LiveServer>, IDisposable
{
    private readonly PromptStudioClient _client = server.Client();

    [Fact]
    public async Task WatchAsync_ResumesAfterTheServerDropsTheConnection_DeliveringEveryEventOnceAndInOrder()
    {
        var job = await _client.StartAsync(Jobs.DryRun(maxIterations: 12, latencyMs: 3));
        var openedBefore = server.Hub.Opened;
        var received = new List<JobEventDto>();
        var drops = new List<long>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        await foreach (var e in _client.WatchAsync(job.Id, 0, timeout.Token))
        {
            received.Add(e);
            // Drop the connection from the server side three times while the job runs.
            if (!e.IsTerminal() && drops.Count < 3 && e.Id >= 10 + 25 * drops.Count && server.Hub.AbortAll() > 0) drops.Add(e.Id);
        }

        Assert.Equal(3, drops.Count);
        Assert.True(server.Hub.Opened - openedBefore >= 4, $"expected a reconnect after each drop, saw {server.Hub.Opened - openedBefore} connections");
        var stored = await _client.GetJobEventsAsync(job.Id, 0, 5000);
        Assert.True(stored[^1].Id > drops[^1], "the job must still have been running at the last drop");
        Assert.Equal(stored.Select(e => (e.Id, e.Type)), received.Select(e => (e.Id, e.Type)));
        Assert.Equal("job_complete", received[^1].Type);
    }

    [Fact]
    public async Task WatchAsync_FillsGapsInTheLiveStream_FromTheEventsEndpoint()
    {
        var dropped = new System.Collections.Concurrent.ConcurrentBag<long>();
        server.DropEvent = e =>
        {
            if (e.IsTerminal() || e.Id % 5 != 3) return false;
            dropped.Add(e.Id);
            return true;
        };
        try
        {
            var job = await _client.StartAsync(Jobs.DryRun(maxIterations: 4, latencyMs: 2));

            var received = await ToListAsync(_client.WatchAsync(job.Id));

            Assert.NotEmpty(dropped);
            Assert.Equal(Enumerable.Range(1, received.Count).Select(i => (long)i), received.Select(e => e.Id));
            Assert.Equal((await _client.GetJobAsync(job.Id)).LastEventId, received[^1].Id);
            Assert.Equal("job_complete", received[^1].Type);
        }
        finally
        {
            server.DropEvent = null;
        }
    }

    [Fact]
    public async Task WatchAsync_Ends_EvenWhenTheTerminalEventNeverArrivesLive()
    {
        server.DropEvent = e => e.IsTerminal();
        try
        {
            using var client = new PromptStudioClient(new PromptStudioClientOptions
            {
                BaseUrl = server.BaseUrl,
                ApiKey = server.ApiKey,
                WatchIdleCheck = TimeSpan.FromMilliseconds(300),
            });
            var job = await client.StartAsync(Jobs.DryRun(maxIterations: 2));

            var received = await ToListAsync(client.WatchAsync(job.Id));

            Assert.Equal(Enumerable.Range(1, received.Count).Select(i => (long)i), received.Select(e => e.Id));
            Assert.Equal("job_complete", received[^1].Type);
        }
        finally
        {
            server.DropEvent = null;
        }
    }

    [Fact]
    public async Task WatchAsync_OfAJobThatHasAlreadyEnded_DeliversTheRestAndEnds()
    {
        var job = await _client.StartAsync(Jobs.DryRun(maxIterations: 2));
        var done = await Eventually.JobAsync(_client, job.Id, j => j.IsTerminal());

        var all = await ToListAsync(_client.WatchAsync(job.Id, 0));
        var tail = await ToListAsync(_client.WatchAsync(job.Id, done.LastEventId - 3));
        var nothing = await ToListAsync(_client.WatchAsync(job.Id, done.LastEventId));

        Assert.Equal(Enumerable.Range(1, (int)done.LastEventId).Select(i => (long)i), all.Select(e => e.Id));
        Assert.Equal([done.LastEventId - 2, done.LastEventId - 1, done.LastEventId], tail.Select(e => e.Id));
        Assert.Empty(nothing);
    }

    [Fact]
    public async Task WatchAsync_FromTheMiddleOfARunningJob_StartsRightAfterTheGivenId()
    {
        var job = await _client.StartAsync(Jobs.DryRun(maxIterations: 8, latencyMs: 3));
        var running = await Eventually.JobAsync(_client, job.Id, j => j.LastEventId >= 8);
        var after = running.LastEventId - 3;

        var received = await ToListAsync(_client.WatchAsync(job.Id, after));

        Assert.Equal(after + 1, received[0].Id);
        Assert.Equal(Enumerable.Range((int)after + 1, received.Count).Select(i => (long)i), received.Select(e => e.Id));
        Assert.True(received[^1].IsTerminal());
    }

    [Fact]
    public async Task WatchAsync_OfAnUnknownJob_ThrowsNotFound()
    {
        var error = await Assert.ThrowsAsync<PromptStudioApiException>(() => ToListAsync(_client.WatchAsync(Guid.NewGuid())));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Contains("was not found", error.Message);
    }

    [Fact]
    public async Task ApiExceptions_CarryTheStatus_TheFieldErrors_AndForARefusedActionTheAllowedActions()
    {
        var invalid = await Assert.ThrowsAsync<PromptStudioApiException>(() =>
            _client.StartOptimizationAsync(new StartOptimizationRequest(1, 1, new OptimizationConfigDto(MaxIterations: 0, DryRun: true))));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("config.maxIterations", invalid.Errors.Keys);

        var job = await _client.StartAsync(Jobs.DryRun(maxIterations: 2));
        await Eventually.JobAsync(_client, job.Id, j => j.Status == "completed");
        var refused = await Assert.ThrowsAsync<PromptStudioApiException>(() => _client.CancelJobAsync(job.Id));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("completed", refused.CurrentState);
        Assert.Empty(refused.AllowedActions);
        Assert.Contains("Cannot cancel a job that is completed", refused.Message);
    }

    [Fact]
    public async Task TheRestClient_CoversPromptsDatasetsAndJobs()
    {
        var prompt = await _client.CreatePromptAsync(new CreatePromptRequest("Client test", "Say {{word}}."));
        var v2 = await _client.AddPromptVersionAsync(prompt.Id, new AddPromptVersionRequest("Say {{word}} twice."));
        Assert.Equal(2, v2.Version);
        Assert.Equal([1, 2], (await _client.GetPromptVersionsAsync(prompt.Id)).Select(v => v.Version));
        Assert.Contains(await _client.ListPromptsAsync(), p => p.Id == v2.Id);

        var item = new DatasetItemInput(new() { ["word"] = System.Text.Json.JsonSerializer.SerializeToElement("hi") }, "hi");
        var dataset = await _client.CreateDatasetAsync(new CreateDatasetRequest("Client test", [item]));
        await _client.AddDatasetItemsAsync(dataset.Id, new AddDatasetItemsRequest([item, item]));
        Assert.Equal(3, (await _client.GetDatasetAsync(dataset.Id)).ItemCount);
        var page = await _client.GetDatasetItemsAsync(dataset.Id, offset: 1, limit: 1);
        Assert.Equal((3, 1), (page.Total, page.Items.Count));
        Assert.Contains(await _client.ListDatasetsAsync(), d => d.Id == dataset.Id);

        var job = await _client.StartAsync(Jobs.DryRun(maxIterations: 1));
        Assert.Contains(await _client.ListJobsAsync(limit: 500), j => j.Id == job.Id);
        await Eventually.JobAsync(_client, job.Id, j => j.IsTerminal());
        var results = await _client.GetJobResultsAsync(job.Id, includeItems: true);
        Assert.NotNull(results.Iterations[0].Candidates[0].Items);
        Assert.NotEmpty(await _client.GetJobEventsAsync(job.Id, afterEventId: 2, limit: 3));
    }

    private static async Task<List<JobEventDto>> ToListAsync(IAsyncEnumerable<JobEventDto> events)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var list = new List<JobEventDto>();
        await foreach (var e in events.WithCancellation(timeout.Token)) list.Add(e);
        return list;
    }

    public void Dispose() => _client.Dispose();
}
