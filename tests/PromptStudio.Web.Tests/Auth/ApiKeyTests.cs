using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using PromptStudio.Client;
using PromptStudio.Web.Data;
using PromptStudio.Web.Tests.Infrastructure;

namespace PromptStudio.Web.Tests.Auth;

[Trait(Suites.Trait, Suites.Api)]
public sealed class ApiKeyTests : IAsyncLifetime
{
    private readonly StudioFactory _factory = new();
    private HttpClient _owner = null!;

    public async ValueTask InitializeAsync() => _owner = await _factory.CreateOwnerClientAsync();

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    private async Task<(string Key, Guid Id)> CreateKeyAsync(string scope, DateTimeOffset? expiresAt = null)
    {
        var response = await _owner.PostAsJsonAsync("/api/keys", new { name = $"{scope} key", scope, expiresAt });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("key").GetString()!, body.GetProperty("info").GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task AKey_IsShownOnce_WithAPrefix_AndWorksAsABearerToken()
    {
        var (key, id) = await CreateKeyAsync("write");
        Assert.StartsWith("ps_", key);

        var listed = await _owner.GetStringAsync("/api/keys");
        Assert.DoesNotContain(key, listed);
        Assert.Contains(key[..11], listed);

        var client = _factory.CreateClientWithKey(key);
        Assert.NotEmpty((await client.GetFromJsonAsync<List<PromptDto>>("/api/prompts"))!);
        var job = await client.StartJobAsync(config: Configs.Fast(maxIterations: 1));
        Assert.Equal("completed", (await client.WaitForStatusAsync(job.Id, "completed")).Status);

        var viaHeader = _factory.CreateClient();
        viaHeader.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal(HttpStatusCode.OK, (await viaHeader.GetAsync("/api/prompts")).StatusCode);

        var keys = (await _owner.GetFromJsonAsync<List<JsonElement>>("/api/keys"))!;
        Assert.NotEqual(JsonValueKind.Null, keys.Single(k => k.GetProperty("id").GetGuid() == id).GetProperty("lastUsedAt").ValueKind);
    }

    [Fact]
    public async Task AReadKey_CannotWrite()
    {
        var (key, _) = await CreateKeyAsync("read");
        var client = _factory.CreateClientWithKey(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/optimization")).StatusCode);
        var response = await client.PostAsJsonAsync("/api/prompts", new CreatePromptRequest("x", "{{a}}"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("API key", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/keys")).StatusCode);
    }

    [Fact]
    public async Task ARevokedKey_IsRefused()
    {
        var (key, id) = await CreateKeyAsync("admin");
        var client = _factory.CreateClientWithKey(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/prompts")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _owner.DeleteAsync($"/api/keys/{id}")).StatusCode);
        var refused = await client.GetAsync("/api/prompts");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("revoked", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AnExpiredKey_IsRefused()
    {
        var (key, id) = await CreateKeyAsync("read", DateTimeOffset.UtcNow.AddHours(1));
        await using (var db = await _factory.Service<IDbContextFactory<StudioDbContext>>().CreateDbContextAsync())
            await db.ApiKeys.Where(k => k.Id == id).ExecuteUpdateAsync(s => s.SetProperty(k => k.ExpiresAt, DateTime.UtcNow.AddMinutes(-1)));
        var refused = await _factory.CreateClientWithKey(key).GetAsync("/api/prompts");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("expired", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AWrongKey_IsRefusedWithAMessage()
    {
        var (key, _) = await CreateKeyAsync("read");
        var tampered = key[..^4] + "AAAA";
        var refused = await _factory.CreateClientWithKey(tampered).GetAsync("/api/prompts");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("not valid", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    [Trait(Suites.DatabaseTrait, Suites.SqliteOnly)]
    public async Task TheDatabase_HoldsNoPlainKey()
    {
        Assert.SkipWhen(TestDatabase.IsPostgres, "Reads the SQLite file itself.");
        var (key, _) = await CreateKeyAsync("write");
        await using (var db = await _factory.Service<IDbContextFactory<StudioDbContext>>().CreateDbContextAsync())
            await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE);");
        var secret = key[(key.LastIndexOf('_') + 1)..];
        foreach (var file in new[] { _factory.DatabasePath, _factory.DatabasePath + "-wal" }.Where(File.Exists))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)));
            Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(key)));
        }
    }

    [Fact]
    public async Task KeysInOtherQueryStrings_AreRefused()
    {
        var (key, _) = await CreateKeyAsync("read");
        var anonymous = _factory.CreateClient();
        var refused = await anonymous.GetAsync($"/api/prompts?api_key={key}");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("query string", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/prompts?access_token={key}")).StatusCode);
    }

    [Fact]
    public async Task TheHub_AcceptsAKey_AsSignalRClientsSendTokens()
    {
        var (key, _) = await CreateKeyAsync("read");
        var job = await _owner.StartJobAsync(config: Configs.Fast(maxIterations: 1));
        await _owner.WaitForStatusAsync(job.Id, "completed");

        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(_factory.Server.BaseAddress, "hubs/optimization"), o =>
            {
                o.Transports = HttpTransportType.LongPolling;
                o.HttpMessageHandlerFactory = _ => _factory.Server.CreateHandler();
                o.AccessTokenProvider = () => Task.FromResult<string?>(key);
            })
            .Build();
        var received = new List<JobEventDto>();
        connection.On<JobEventDto>("JobEvent", e => { lock (received) received.Add(e); });
        await connection.StartAsync();
        await connection.InvokeAsync("Subscribe", job.Id, 0L);
        await Eventually.TrueAsync(() => received.Any(e => e.Type == "job_complete"), TimeSpan.FromSeconds(20));
    }
}
