using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PromptStudio.Client;
using PromptStudio.Web.Data;

namespace PromptStudio.Web.Tests.Providers;

/// <summary>
/// The real app on a temp SQLite file (or PostgreSQL database, see <see cref="Infrastructure.TestDatabase"/>), with private networks allowed (so it can reach the fake server on
/// 127.0.0.1) and fast retries, plus helpers that go through the HTTP API like a client would.
/// </summary>
public sealed class ProvidersTestApp : WebApplicationFactory<Program>
{
    public static readonly IReadOnlyDictionary<string, string> Capitals = new Dictionary<string, string>
    {
        ["France"] = "Paris", ["Japan"] = "Tokyo", ["Kenya"] = "Nairobi", ["Peru"] = "Lima", ["Norway"] = "Oslo", ["Canada"] = "Ottawa",
    };

    public const string Model = "fake-model";
    public const string ApiKey = "sk-test-SECRETKEYVALUE-9f3a";

    private readonly string _dir;
    private readonly Dictionary<string, string> _settings;

    /// <param name="dataDirectory">Reuse the database and key ring of an earlier app (a restart); the folder is then left in place.</param>
    public ProvidersTestApp(Dictionary<string, string>? settings = null, string? dataDirectory = null)
    {
        KeepData = dataDirectory is not null;
        _dir = dataDirectory ?? Path.Combine(Path.GetTempPath(), "promptstudio-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        _settings = new Dictionary<string, string>
        {
            ["Providers:AllowPrivateNetworks"] = "true",
            ["Providers:RetryBaseDelay"] = "00:00:00.020",
            ["Providers:CircuitBreakerMinimumThroughput"] = "1000",
        };
        foreach (var (k, v) in settings ?? []) _settings[k] = v;
    }

    public string DataDirectory => _dir;

    /// <summary>Leave the database and key ring in place on dispose, for a restarted app to use.</summary>
    public bool KeepData { get; set; }

    public string DatabasePath => Path.Combine(_dir, "studio.db");

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private string? _token;

    /// <summary>Every client of this app acts as the owner of the default workspace (the first account).</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        _token ??= Infrastructure.StudioFactory.SignInAsync(Server.CreateClient(), Infrastructure.StudioFactory.OwnerEmail).GetAwaiter().GetResult();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _token);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Not Development: the API tests need no static web assets.
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in Infrastructure.TestDatabase.Settings(DatabasePath)) builder.UseSetting(key, value);
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
    }

    /// <summary>Answers like a model that only gives the bare city once told to, and rewrites prompts by adding that instruction.</summary>
    public static FakeReply CapitalsScript(FakeCall call)
    {
        if (call.IsMutation)
        {
            var current = Regex.Match(call.UserText, "<prompt>(.*?)</prompt>", RegexOptions.Singleline).Groups[1].Value;
            return new FakeReply($"<critique>The prompt does not ask for the bare city.</critique>\n<prompt>Answer with the city name only.\n{current}</prompt>", InputTokens: 50, OutputTokens: 20);
        }
        var country = Capitals.Keys.First(k => call.UserText.Contains(k, StringComparison.Ordinal));
        var answer = call.AllText.Contains("city name only", StringComparison.Ordinal) ? Capitals[country] : $"The capital of {country} is {Capitals[country]}.";
        return new FakeReply(answer, InputTokens: 12, OutputTokens: 3);
    }

    public async Task<ProviderDto> CreateProviderAsync(FakeLlmServer server, string kind = "openai-compatible", int maxConcurrency = 4, int requestsPerMinute = 0)
    {
        var request = new SaveProviderRequest("fake", kind, kind == "ollama" ? server.OllamaBaseUrl : server.OpenAIBaseUrl, ApiKey, [Model], Model,
            maxConcurrency, requestsPerMinute, new() { [Model] = new ModelPriceDto(1.5m, 6m) });
        var response = await CreateClient().PostAsJsonAsync("/api/providers", request, Json);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<ProviderDto>(Json))!;
    }

    /// <summary>A prompt "What is the capital of {{country}}?" and a dataset of the six countries.</summary>
    public async Task<(int PromptId, int DatasetId)> CreateCapitalsAsync()
    {
        var client = CreateClient();
        var prompt = await (await client.PostAsJsonAsync("/api/prompts", new CreatePromptRequest("Capitals", "What is the capital of {{country}}?"), Json))
            .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<PromptDto>(Json);
        var items = Capitals.Select(c => new DatasetItemInput(new() { ["country"] = JsonSerializer.SerializeToElement(c.Key) }, c.Value, c.Key)).ToList();
        var dataset = await (await client.PostAsJsonAsync("/api/datasets", new CreateDatasetRequest("Capitals", items), Json))
            .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<DatasetDto>(Json);
        return (prompt!.Id, dataset!.Id);
    }

    public async Task<HttpResponseMessage> PostJobAsync(int promptId, int datasetId, string? model, object? tuning = null, int maxIterations = 3, double? targetScore = 1.0)
    {
        var tuningJson = tuning is null ? null : JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(JsonSerializer.Serialize(tuning, Json), Json);
        var config = new OptimizationConfigDto(maxIterations, targetScore, null, model, false, tuningJson);
        return await CreateClient().PostAsJsonAsync("/api/optimization", new StartOptimizationRequest(promptId, datasetId, config), Json);
    }

    public async Task<JobDto> StartJobAsync(int promptId, int datasetId, object? tuning = null, int maxIterations = 3, double? targetScore = 1.0)
    {
        var response = await PostJobAsync(promptId, datasetId, Model, tuning, maxIterations, targetScore);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JobDto>(Json))!;
    }

    public async Task<JobDto> GetJobAsync(Guid id) =>
        (await CreateClient().GetFromJsonAsync<JobDto>($"/api/optimization/{id}", Json))!;

    public async Task<JobDto> WaitForJobAsync(Guid id, Func<JobDto, bool> condition, TimeSpan? timeout = null)
    {
        JobDto job = await GetJobAsync(id);
        await Eventually.WaitAsync(async () => condition(job = await GetJobAsync(id)), timeout ?? TimeSpan.FromSeconds(30),
            () => $"job {id} is {job.Status} ({job.Error})");
        return job;
    }

    /// <summary>How many LLM answers the cache has written to the database.</summary>
    public async Task<int> CachedAnswersAsync()
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<StudioDbContext>>().CreateDbContextAsync();
        return await db.LlmCache.CountAsync();
    }

    public Task<JobDto> WaitUntilFinishedAsync(Guid id, TimeSpan? timeout = null) =>
        WaitForJobAsync(id, j => j.Status is "completed" or "failed" or "cancelled", timeout);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        if (KeepData) return;
        if (Infrastructure.TestDatabase.IsPostgres) Infrastructure.TestDatabase.Delete(DatabasePath);
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }
}

public static class Eventually
{
    /// <summary>Polls until the condition holds; fails with what was last seen when the timeout passes.</summary>
    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Condition not met within {timeout}: {describe?.Invoke()}");
            await Task.Delay(25);
        }
    }

    public static Task WaitAsync(Func<bool> condition, TimeSpan timeout, Func<string>? describe = null) =>
        WaitAsync(() => Task.FromResult(condition()), timeout, describe);
}
