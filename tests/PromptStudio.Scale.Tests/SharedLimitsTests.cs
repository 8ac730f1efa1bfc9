using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PromptStudio.Client;
using PromptStudio.Scale.Tests.Infrastructure;

namespace PromptStudio.Scale.Tests;

/// <summary>
/// Limits that hold "per user", "per API key" or "per provider" hold on the total across nodes, not per node:
/// two nodes would otherwise let through twice the limit.
/// </summary>
public sealed class SharedLimitsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ApiRequestLimit_OfAnApiKey_HoldsOnItsTotalAcrossNodes()
    {
        const int limit = 20;
        await using var cluster = await Cluster.StartAsync(settings: new Dictionary<string, string> { ["Auth:RequestsPerMinute"] = $"{limit}" });
        string key;
        using (var owner = cluster.Client(cluster["node-a"]))
        {
            var created = await owner.PostAsJsonAsync("api/keys", new { name = "load test", scope = "read" });
            created.EnsureSuccessStatusCode();
            key = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        }

        var answers = new List<(HttpStatusCode Status, TimeSpan? RetryAfter)>();
        for (var i = 0; i < limit + 4; i++)
        {
            using var http = cluster.Client(cluster.Nodes[i % 2], key);
            using var response = await http.GetAsync("api/prompts");
            answers.Add((response.StatusCode, response.Headers.RetryAfter?.Delta));
        }

        // Each node alone would have let all 24 through (12 each, under 20).
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.OK, limit).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 4)), answers.Select(a => a.Status));
        Assert.All(answers.Skip(limit), a => Assert.InRange(a.RetryAfter!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task ProviderLimits_HoldOnTheTotalOfJobsAcrossNodes()
    {
        const int maxConcurrency = 2, requestsPerWindow = 6;
        var window = TimeSpan.FromSeconds(2);
        await using var server = await CountingLlmServer.StartAsync(latency: TimeSpan.FromMilliseconds(400));
        await using var cluster = await Cluster.StartAsync(lease: TimeSpan.FromSeconds(30), settings: new Dictionary<string, string>
        {
            ["Providers:AllowPrivateNetworks"] = "true",
            // requestsPerMinute is per this window: a minute would make the test a minute long.
            ["Providers:RateWindow"] = window.ToString("c"),
        });
        using var http = cluster.Client(cluster["node-a"]);
        (await http.PostAsJsonAsync("api/providers", new SaveProviderRequest("counted", "openai-compatible", server.BaseUrl, "sk-test", ["fake-model"], "fake-model",
            maxConcurrency, requestsPerWindow))).EnsureSuccessStatusCode();
        var items = Enumerable.Range(1, 20).Select(i => new DatasetItemInput(new() { ["q"] = JsonSerializer.SerializeToElement($"question {i}") }, "an answer")).ToList();
        var dataset = await Created<DatasetDto>(await http.PostAsJsonAsync("api/datasets", new CreateDatasetRequest("questions", items)));

        // Four jobs, two per node's workers, each on its own prompt so that no answer comes from the shared cache.
        var jobs = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            var prompt = await Created<PromptDto>(await http.PostAsJsonAsync("api/prompts", new CreatePromptRequest($"prompt {i}", $"Variant {i}: answer {{{{q}}}}")));
            using var node = cluster.Client(cluster.Nodes[i % 2]);
            var job = await Created<JobDto>(await node.PostAsJsonAsync("api/optimization",
                new StartOptimizationRequest(prompt.Id, dataset.Id, new OptimizationConfigDto(1, null, null, "fake-model", false, null))));
            jobs.Add(job.Id);
        }
        var owners = new HashSet<string>();
        foreach (var id in jobs) owners.Add((await cluster.OwnerAsync(id)).Name);
        Assert.Equal(2, owners.Count);

        // Several windows' worth of requests: the jobs keep both nodes' workers asking all along, so the limits are
        // pressed in every one of those windows.
        await Wait.UntilAsync(() => server.Arrivals.Count >= 3 * requestsPerWindow, TimeSpan.FromSeconds(60), cluster.Logs);

        var most = server.MostArrivalsWithin(window - TimeSpan.FromMilliseconds(50));
        output.WriteLine($"{server.Arrivals.Count} requests from jobs on {string.Join(" and ", owners)}: at most {server.MaxInFlight} in flight " +
            $"(limit {maxConcurrency}), at most {most} within a {window.TotalSeconds:0} s window (limit {requestsPerWindow})");
        Assert.True(server.Arrivals.Count > requestsPerWindow, $"only {server.Arrivals.Count} requests arrived: the jobs did not run\n{cluster.Logs()}");
        Assert.InRange(server.MaxInFlight, 1, maxConcurrency);
        Assert.InRange(most, 1, requestsPerWindow);
    }

    private static async Task<T> Created<T>(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<T>())!;
    }
}
