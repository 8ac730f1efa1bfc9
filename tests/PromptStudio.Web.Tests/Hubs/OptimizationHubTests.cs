using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Tests.Infrastructure;

namespace PromptStudio.Web.Tests.Hubs;

[Trait(Suites.Trait, Suites.Api)]
public sealed class OptimizationHubTests : IAsyncLifetime
{
    private readonly StudioFactory _factory = new();
    private HttpClient _http = null!;

    public async ValueTask InitializeAsync() => _http = await _factory.CreateOwnerClientAsync();

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    private async Task<HubConnection> ConnectAsync()
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(_factory.Server.BaseAddress, "hubs/optimization"), o =>
            {
                o.Transports = HttpTransportType.LongPolling;
                o.HttpMessageHandlerFactory = _ => _factory.Server.CreateHandler();
                o.AccessTokenProvider = () => Task.FromResult<string?>(_http.DefaultRequestHeaders.Authorization!.Parameter);
            })
            .Build();
        await connection.StartAsync();
        return connection;
    }

    [Fact]
    public async Task SubscribeFromZero_ReplaysEveryEventInOrder()
    {
        var job = await _http.StartJobAsync(config: Configs.Fast(maxIterations: 3));
        await _http.WaitForStatusAsync(job.Id, "completed");
        var stored = await _http.GetEventsAsync(job.Id);

        await using var connection = await ConnectAsync();
        var received = Collect(connection);
        await connection.InvokeAsync("Subscribe", job.Id, 0L);

        await Eventually.TrueAsync(() => received.Count >= stored.Count, TimeSpan.FromSeconds(20), () => $"{received.Count} of {stored.Count}");
        Assert.Equal(stored.Select(e => (e.Id, e.Type, e.Iteration)), received.Select(e => (e.Id, e.Type, e.Iteration)));
        Assert.All(received, e => Assert.Equal(job.Id, e.JobId));
    }

    [Fact]
    public async Task SubscribeMidRun_DeliversExactlyTheEventsAfterN_NoneTwiceNoneMissing()
    {
        var job = await _http.StartJobAsync(config: Configs.Fast(maxIterations: 12, latencyMs: 3));
        var midRun = await _http.WaitForJobAsync(job.Id, j => j.LastEventId >= 12);
        Assert.Equal("running", midRun.Status);
        var after = midRun.LastEventId - 4;

        await using var connection = await ConnectAsync();
        var received = Collect(connection);
        await connection.InvokeAsync("Subscribe", job.Id, after);

        await Eventually.TrueAsync(() => received.Any(e => e.Type == JobEventTypes.JobComplete), TimeSpan.FromSeconds(60), () => $"{received.Count} events");
        var stored = await _http.GetEventsAsync(job.Id, after);
        Assert.Equal(stored.Select(e => e.Id), received.Select(e => e.Id));
        Assert.Equal(after + 1, received[0].Id);
    }

    [Fact]
    public async Task SubscribeToAnUnknownJob_IsAHubError()
    {
        await using var connection = await ConnectAsync();
        var error = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync("Subscribe", Guid.NewGuid(), 0L));
        Assert.Contains("not found", error.Message);
    }

    [Fact]
    public async Task Unsubscribe_StopsTheStream()
    {
        var job = await _http.StartJobAsync(config: Configs.Fast(maxIterations: 30, latencyMs: 5));
        await using var connection = await ConnectAsync();
        var received = Collect(connection);
        await connection.InvokeAsync("Subscribe", job.Id, 0L);
        await Eventually.TrueAsync(() => received.Count >= 5, TimeSpan.FromSeconds(30));
        await connection.InvokeAsync("Unsubscribe", job.Id);

        // Once the unsubscribe is acknowledged the stream stops, while the job itself goes on. The client runs its
        // handlers from a queue of their own, so events sent before the acknowledgement may still be handled after
        // it: what is checked is that nothing stored after it arrives (but the one event a stream may have in flight)
        // while the job writes 20 more.
        var lastAtUnsubscribe = (await _http.GetJobAsync(job.Id)).LastEventId;
        var progressed = await _http.WaitForJobAsync(job.Id, j => j.LastEventId > lastAtUnsubscribe + 20 || j.Status == "completed");
        long lastReceived;
        lock (received) lastReceived = received.Max(e => e.Id);
        Assert.InRange(lastReceived, 5, lastAtUnsubscribe + 1);
        Assert.True(progressed.LastEventId > lastReceived + 1);
        await _http.PostAsync($"/api/optimization/{job.Id}/cancel", null);
    }

    [Fact]
    public async Task SubscribeWorkspace_ReceivesJobUpdates_ForCreatedAndChangedJobs()
    {
        await using var connection = await ConnectAsync();
        var updates = new ConcurrentQueue<JobDto>();
        connection.On<JobDto>("JobUpdated", updates.Enqueue);
        await connection.InvokeAsync("SubscribeWorkspace");

        var job = await _http.StartJobAsync(config: Configs.Fast(maxIterations: 2));
        await Eventually.TrueAsync(() => updates.Any(u => u.Id == job.Id && u.Status == "completed"), TimeSpan.FromSeconds(30));
        var mine = updates.Where(u => u.Id == job.Id).ToList();
        Assert.Equal("queued", mine[0].Status);
        Assert.Contains(mine, u => u.Status == "running" && u.BestScore is not null);
    }

    private static List<JobEventDto> Collect(HubConnection connection)
    {
        var received = new List<JobEventDto>();
        connection.On<JobEventDto>("JobEvent", e =>
        {
            lock (received) received.Add(e);
        });
        return received;
    }
}
