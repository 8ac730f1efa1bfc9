using Microsoft.AspNetCore.Http.Json;
using MudBlazor.Services;
using PromptStudio.Web.Api;
using PromptStudio.Web.Components;
using PromptStudio.Web.Data;
using PromptStudio.Web.Datasets;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Prompts;
using PromptStudio.Web.Providers;
using PromptStudio.Web.Workspaces;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddStudioDatabase(builder.Configuration);
builder.Services.Configure<JobsOptions>(builder.Configuration.GetSection("Jobs"));
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<JobQueue>();
builder.Services.AddSingleton<RunningJobs>();
builder.Services.AddSingleton<JobEventBus>();
builder.Services.AddSingleton<JobService>();
builder.Services.AddSingleton<JobRunner>();
builder.Services.AddSingleton<PromptService>();
builder.Services.AddSingleton<DatasetService>();
builder.Services.AddScoped<WorkspaceContext>();
builder.Services.AddProviders(builder.Configuration);
builder.Services.AddHostedService<JobWorkerService>();

builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<DomainExceptionHandler>();
// Malformed bodies and parameters become problem responses that say what was wrong, in every environment.
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.Services.Configure<JsonOptions>(o => o.SerializerOptions.AllowTrailingCommas = true);
builder.Services.AddOpenApi();
builder.Services.AddSignalR();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();

var app = builder.Build();

await DatabaseSetup.MigrateAsync(app.Services);
await DemoData.SeedAsync(app.Services);

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapOpenApi();

// Every API area hangs off this one group, so authentication is added in one place.
var api = app.MapGroup("/api");
api.MapPromptsApi();
api.MapDatasetsApi();
api.MapOptimizationApi();
api.MapProvidersApi();

app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

await app.RunAsync();

public partial class Program;
