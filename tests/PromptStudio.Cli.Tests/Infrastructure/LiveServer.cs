using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using PromptStudio.Client;
using PromptStudio.Web.Hubs;

namespace PromptStudio.Cli.Tests.Infrastructure;

/// <summary>
/// The real app on a real loopback port (Kestrel) with its own SQLite file, so the CLI and the client talk to it
/// over HTTP and WebSockets exactly as they would in use. <see cref="Hub"/> lets a test drop hub connections.
/// </summary>
public sealed class LiveServer : WebApplicationFactory<global::Program>, IAsyncLifetime
{
    private readonly string _databasePath = Path.Combine(Path.GetTempPath(), $"promptstudio-cli-test-{Guid.NewGuid():N}.db");

    public LiveServer()
    {
        UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
    }

    public HubConnections Hub { get; } = new();

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>When set, the hub silently leaves out the events it picks (see <see cref="GappyHubContext"/>).</summary>
    public Func<JobEventDto, bool>? DropEvent { get; set; }

    public async ValueTask InitializeAsync()
    {
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address);
        ApiKey = await CreateApiKeyAsync("write");
    }

    /// <summary>
    /// Signs in as the owner of the demo workspace (the first account registered owns it) and creates an API key,
    /// the way a user would before configuring the CLI.
    /// </summary>
    public async Task<string> CreateApiKeyAsync(string scope)
    {
        using var http = new HttpClient { BaseAddress = BaseUrl };
        await http.PostAsJsonAsync("/api/auth/register", new { email = OwnerEmail, password = Password });
        var login = await http.PostAsJsonAsync("/api/auth/login", new { email = OwnerEmail, password = Password });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var created = await http.PostAsJsonAsync("/api/keys", new { name = $"cli tests ({scope})", scope });
        if (!created.IsSuccessStatusCode) throw new InvalidOperationException($"Creating an API key failed: {created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Default", _databasePath);
        builder.UseSetting("Jobs:MaxConcurrentJobs", "2");
        builder.UseSetting("Jobs:ControlTimeout", "00:00:20");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.ConfigureTestServices(services =>
        {
            services.Configure<HubOptions>(o => o.AddFilter(Hub));
            services.AddSingleton<IHubContext<OptimizationHub, IOptimizationClient>>(sp =>
                new GappyHubContext(sp.GetRequiredService<IHubContext<OptimizationHub>>(), e => DropEvent?.Invoke(e) ?? false));
        });
    }

    public const string OwnerEmail = "owner@cli.test";
    private const string Password = "correct-horse-42";

    /// <summary>A write-scoped API key of the demo workspace, which every client of these tests sends (REST bearer, hub access token).</summary>
    public string ApiKey { get; private set; } = null!;

    /// <summary>A client library instance for this server.</summary>
    public PromptStudioClient Client() => new(new PromptStudioClientOptions { BaseUrl = BaseUrl, ApiKey = ApiKey });

    /// <summary>Environment for a CLI run against this server.</summary>
    public Dictionary<string, string> CliEnvironment() => new()
    {
        ["PROMPTSTUDIO_URL"] = BaseUrl.AbsoluteUri,
        ["PROMPTSTUDIO_API_KEY"] = ApiKey,
    };

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            try { File.Delete(_databasePath + suffix); } catch (IOException) { }
        }
        GC.SuppressFinalize(this);
    }
}

/// <summary>A hub filter that remembers every open hub connection, so a test can abort them from the server side.</summary>
public sealed class HubConnections : IHubFilter
{
    private readonly ConcurrentDictionary<string, HubCallerContext> _open = new();
    private int _opened;

    /// <summary>How many hub connections have been opened so far.</summary>
    public int Opened => Volatile.Read(ref _opened);

    public Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        _open[context.Context.ConnectionId] = context.Context;
        Interlocked.Increment(ref _opened);
        return next(context);
    }

    public Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        _open.TryRemove(context.Context.ConnectionId, out _);
        return next(context, exception);
    }

    /// <summary>Drops every open connection, as a crashed proxy or a network cut would.</summary>
    public int AbortAll()
    {
        var contexts = _open.Values.ToList();
        foreach (var context in contexts) context.Abort();
        return contexts.Count;
    }
}
