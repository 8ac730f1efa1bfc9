using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using PromptStudio.Client;

namespace PromptStudio.Web.Tests.Infrastructure;

/// <summary>
/// The real app on the test server with its own database: a SQLite file, or a fresh PostgreSQL database when
/// <see cref="TestDatabase.PostgresVariable"/> is set. Pass a path to share one database between two hosts (the
/// restart tests); the database is deleted when the owner of the path disposes it.
/// </summary>
public sealed class StudioFactory(string? databasePath = null, int workers = 2, bool ownsDatabase = true, params (string Key, string Value)[] settings) : WebApplicationFactory<Program>
{
    public string DatabasePath { get; } = databasePath ?? Path.Combine(Path.GetTempPath(), $"promptstudio-test-{Guid.NewGuid():N}.db");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in TestDatabase.Settings(DatabasePath)) builder.UseSetting(key, value);
        builder.UseSetting("Jobs:MaxConcurrentJobs", workers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Jobs:ControlTimeout", "00:00:20");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
    }

    public const string Password = "correct-horse-42";
    public const string OwnerEmail = "owner@test.local";

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>
    /// A client signed in with an Identity bearer token. The first account registered on a fresh database
    /// owns the default (demo) workspace; later ones need an invitation token.
    /// </summary>
    public async Task<HttpClient> CreateUserClientAsync(string email = OwnerEmail, string? invitationToken = null)
    {
        var http = CreateClient();
        var token = await SignInAsync(http, email, invitationToken);
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    public Task<HttpClient> CreateOwnerClientAsync() => CreateUserClientAsync();

    /// <summary>Registers the account if it does not exist yet, then returns a bearer token for it.</summary>
    public static async Task<string> SignInAsync(HttpClient http, string email, string? invitationToken = null)
    {
        await http.PostAsJsonAsync("/api/auth/register", new { email, password = Password, invitationToken });
        var login = await http.PostAsJsonAsync("/api/auth/login", new { email, password = Password });
        if (!login.IsSuccessStatusCode) throw new InvalidOperationException($"Sign-in of {email} failed: {login.StatusCode} {await login.Content.ReadAsStringAsync()}");
        var body = await login.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return body.GetProperty("accessToken").GetString()!;
    }

    public HttpClient CreateClientWithKey(string key)
    {
        var http = CreateClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        // Lets go of the file even when another host will reopen it.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (ownsDatabase) TestDatabase.Delete(DatabasePath);
    }
}

public static class ApiExtensions
{
    public static async Task<JobDto> StartJobAsync(this HttpClient http, int promptId = 1, int datasetId = 1, OptimizationConfigDto? config = null)
    {
        var response = await http.PostAsJsonAsync("/api/optimization", new StartOptimizationRequest(promptId, datasetId, config ?? Configs.Fast()));
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JobDto>())!;
    }

    public static async Task<JobDto> GetJobAsync(this HttpClient http, Guid id) =>
        (await http.GetFromJsonAsync<JobDto>($"/api/optimization/{id}"))!;

    public static async Task<IReadOnlyList<JobEventDto>> GetEventsAsync(this HttpClient http, Guid id, long after = 0) =>
        (await http.GetFromJsonAsync<List<JobEventDto>>($"/api/optimization/{id}/events?afterEventId={after}&limit=5000"))!;

    /// <summary>Polls the job until <paramref name="condition"/> holds; fails with the last state after the timeout.</summary>
    public static async Task<JobDto> WaitForJobAsync(this HttpClient http, Guid id, Func<JobDto, bool> condition, int timeoutSeconds = 60)
    {
        JobDto job = await http.GetJobAsync(id);
        await Eventually.TrueAsync(async () => condition(job = await http.GetJobAsync(id)), TimeSpan.FromSeconds(timeoutSeconds),
            () => $"job {id} is {job.Status} at iteration {job.CurrentIteration} (error: {job.Error})");
        return job;
    }

    public static Task<JobDto> WaitForStatusAsync(this HttpClient http, Guid id, string status, int timeoutSeconds = 60) =>
        http.WaitForJobAsync(id, j => j.Status == status, timeoutSeconds);
}

public static class Configs
{
    public static OptimizationConfigDto Fast(int maxIterations = 5, int seed = 7, int latencyMs = 0, double? target = null, int? patience = null) =>
        new(maxIterations, target, patience, null, true, Tuning(("seed", seed), ("simulatedLatencyMs", latencyMs)));

    public static Dictionary<string, System.Text.Json.JsonElement> Tuning(params (string Key, object Value)[] values) =>
        values.ToDictionary(v => v.Key, v => System.Text.Json.JsonSerializer.SerializeToElement(v.Value));
}

public static class Eventually
{
    /// <summary>Waits for a condition, checking every 25 ms; never a fixed sleep standing in for the condition.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Condition not met within {timeout.TotalSeconds:0}s: {describe?.Invoke()}");
            await Task.Delay(25);
        }
    }

    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, Func<string>? describe = null) =>
        TrueAsync(() => Task.FromResult(condition()), timeout, describe);
}
