using System.Net;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using PromptStudio.Client;
using PromptStudio.Web.Auth;
using PromptStudio.Web.Data;
using PromptStudio.Web.Datasets;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Prompts;
using PromptStudio.Web.Workspaces;
using Xunit;

[assembly: AssemblyFixture(typeof(PromptStudio.E2E.StudioApp))]
// Two cores: the browser and the app under test need them more than a second test does.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace PromptStudio.E2E;

/// <summary>
/// The whole app on a real port (Kestrel on 127.0.0.1, port chosen by the OS) with a database file of its
/// own, its job workers running, and one Chromium for all tests. Each test gets a fresh browser context.
/// </summary>
public sealed class StudioApp : IAsyncLifetime
{
    private readonly string _databasePath = Path.Combine(Path.GetTempPath(), $"promptstudio-e2e-{Guid.NewGuid():N}.db");
    private AppFactory? _factory;
    private IPlaywright? _playwright;

    public PlaywrightSettings Settings { get; } = PlaywrightSettings.Load();

    public string BaseUrl { get; private set; } = "";

    public IBrowser Browser { get; private set; } = default!;

    public IServiceProvider Services => _factory!.Services;

    public const string OwnerEmail = "owner@e2e.local";
    public const string Password = "correct-horse-42";

    /// <summary>Cookies of the signed-in owner (the first account, so it owns the demo workspace); test contexts start from them.</summary>
    public string OwnerStorageState { get; private set; } = "";

    /// <summary>
    /// The owner's context in the demo workspace, resolved as a request of theirs would be, for tests that call the
    /// services directly (their writes check the caller's permission).
    /// </summary>
    public async Task<WorkspaceContext> OwnerContextAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        var owner = await scope.ServiceProvider.GetRequiredService<UserManager<StudioUser>>().FindByEmailAsync(OwnerEmail)
            ?? throw new InvalidOperationException($"{OwnerEmail} is not registered.");
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, owner.Id), new Claim(ClaimTypes.Name, owner.UserName ?? OwnerEmail)], "e2e"));
        var context = new WorkspaceContext();
        if (!await Services.GetRequiredService<WorkspaceResolver>().ResolveAsync(principal, DefaultWorkspace.Id, context, CancellationToken.None))
            throw new InvalidOperationException($"{OwnerEmail} is not a member of the demo workspace.");
        return context;
    }

    /// <summary>Starts a dryRun job on the demo prompt and dataset through the same service the form uses.</summary>
    public async Task<JobDto> StartDryRunJobAsync(int maxIterations, int latencyMs, int? seed = null)
    {
        var tuning = new Dictionary<string, JsonElement> { ["simulatedLatencyMs"] = JsonSerializer.SerializeToElement(latencyMs) };
        if (seed is { } s) tuning["seed"] = JsonSerializer.SerializeToElement(s);
        var prompt = (await Services.GetRequiredService<PromptService>().ListLatestAsync(DefaultWorkspace.Id, CancellationToken.None))
            .First(p => p.Name == DemoData.PromptName);
        var dataset = (await Services.GetRequiredService<DatasetService>().ListAsync(DefaultWorkspace.Id, CancellationToken.None))
            .First(d => d.Name == DemoData.DatasetName);
        return await Services.GetRequiredService<JobService>().StartAsync(await OwnerContextAsync(),
            new StartOptimizationRequest(prompt.Id, dataset.Id, new OptimizationConfigDto(MaxIterations: maxIterations, DryRun: true, TuningParams: tuning)),
            CancellationToken.None);
    }

    public async ValueTask InitializeAsync()
    {
        _factory = new AppFactory(_databasePath);
        _factory.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _factory.StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseUrl = addresses.First().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal);

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Settings.ExecutablePath,
            Headless = Settings.Headless,
            Args = Settings.Args,
        });
        Assertions.SetDefaultExpectTimeout(Settings.ExpectTimeoutMs);
        OwnerStorageState = await SignInAsync(OwnerEmail, register: true);
    }

    /// <summary>Registers (when asked) and signs in through the real pages; returns the saved browser state.</summary>
    public async Task<string> SignInAsync(string email, bool register = false, string? invitation = null)
    {
        await using var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUrl });
        var page = await context.NewPageAsync();
        if (register)
        {
            await page.GotoAsync(invitation is null ? "/account/register" : $"/account/register?invitation={invitation}");
            await page.GetByTestId("register-email").FillAsync(email);
            await page.GetByTestId("register-password").FillAsync(Password);
            await page.GetByTestId("register-submit").ClickAsync();
        }
        else
        {
            await page.GotoAsync("/account/login");
            await page.GetByTestId("login-email").FillAsync(email);
            await page.GetByTestId("login-password").FillAsync(Password);
            await page.GetByTestId("login-submit").ClickAsync();
        }
        await page.WaitForURLAsync(url => !url.Contains("/account/", StringComparison.Ordinal));
        var path = Path.Combine(Path.GetTempPath(), $"promptstudio-e2e-state-{Guid.NewGuid():N}.json");
        await context.StorageStateAsync(new BrowserContextStorageStateOptions { Path = path });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (_factory is not null) await _factory.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _databasePath, _databasePath + "-wal", _databasePath + "-shm" }) File.Delete(file);
    }

    private sealed class AppFactory(string databasePath) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            // Outside Development the static web assets (MudBlazor's CSS and JS, app.css) need this to be served from the build.
            builder.UseStaticWebAssets();
            builder.UseSetting("ConnectionStrings:Default", databasePath);
            builder.UseSetting("Jobs:MaxConcurrentJobs", "2");
        }
    }
}
