using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.SignalR;
using MudBlazor.Services;
using PromptStudio.Web.Api;
using PromptStudio.Web.Auth;
using PromptStudio.Web.Components;
using PromptStudio.Web.Data;
using PromptStudio.Web.Datasets;
using PromptStudio.Web.Hubs;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Operations;
using PromptStudio.Web.Prompts;
using PromptStudio.Web.Providers;
using PromptStudio.Web.Workspaces;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddStudioDatabase(builder.Configuration);
builder.Services.Configure<JobsOptions>(builder.Configuration.GetSection("Jobs"));
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<JobQueue>();
builder.Services.AddSingleton<RunningJobs>();
builder.Services.AddScaleOut(builder.Configuration);
builder.Services.AddSingleton<JobService>();
builder.Services.AddSingleton<JobEstimator>();
builder.Services.AddSingleton<JobRunner>();
builder.Services.AddSingleton<PromptService>();
builder.Services.AddSingleton<DatasetService>();
builder.Services.AddSingleton<HubStreams>();
builder.Services.AddSingleton<ApiKeyService>();
builder.Services.AddSingleton<WorkspaceService>();
builder.Services.AddStudioAuth(builder.Configuration);
builder.Services.AddProviders(builder.Configuration);
builder.Services.AddHostedService<JobWorkerService>();
builder.Services.AddStudioHealthChecks();

builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<DomainExceptionHandler>();
// Malformed bodies and parameters become problem responses that say what was wrong, in every environment.
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.Services.Configure<JsonOptions>(o => o.SerializerOptions.AllowTrailingCommas = true);
builder.Services.AddOpenApi();
builder.Services.AddSignalR(o => o.AddFilter<WorkspaceHubFilter>()).AddStudioBackplane(builder.Configuration);
builder.Services.AddSingleton<WorkspaceHubFilter>();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();

var app = builder.Build();

await DatabaseSetup.MigrateAsync(app.Services);
await DemoData.SeedAsync(app.Services);

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseRegistrationBodyBuffering();
app.UseAuthentication();
app.UseWorkspaceResolution();
app.UseAuthorization();
app.UseRateLimiter();
app.UseAntiforgery();

// The explicit allow-list of anonymous endpoints: static assets, the sign-in API (AuthApi), the health probes and the
// account pages ([AllowAnonymous]). Everything else falls under the authenticated-user fallback policy.
app.MapStaticAssets().AllowAnonymous();
app.MapOpenApi();
app.MapAuthApi();
app.MapStudioHealth();

// Every API area hangs off this group: authenticated, scoped to the caller's workspace, and permission-checked.
var api = app.MapGroup("/api").RequireWorkspacePermissions();
api.MapPromptsApi();
api.MapDatasetsApi();
api.MapOptimizationApi();
api.MapKeysApi();
api.MapProvidersApi();
app.MapGroup("/api").MapWorkspacesApi();

app.MapHub<OptimizationHub>(OptimizationHub.Path).RequireAuthorization();

app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

await app.RunAsync();

public partial class Program;
