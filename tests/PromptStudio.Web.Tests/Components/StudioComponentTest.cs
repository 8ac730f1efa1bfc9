using System.Text.Json;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Data;
using PromptStudio.Web.Datasets;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Operations;
using PromptStudio.Web.Prompts;
using PromptStudio.Web.Providers;
using PromptStudio.Web.Workspaces;
using Xunit;

namespace PromptStudio.Web.Tests.Components;

/// <summary>
/// The one bUnit services helper: the app's real services on a SQLite file of its own, migrated and seeded
/// with the demo data, an interactive server renderer, and MudBlazor's providers. No worker runs: a test
/// plays the worker by storing events and publishing them on the real <see cref="JobEventBus"/>.
/// </summary>
public abstract class StudioComponentTest : BunitContext, IAsyncLifetime
{
    private readonly string _databasePath = Path.Combine(Path.GetTempPath(), $"promptstudio-bunit-{Guid.NewGuid():N}.db");

    protected StudioComponentTest()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Default"] = _databasePath })
            .Build();
        Services.AddLogging();
        Services.AddStudioDatabase(configuration);
        Services.AddSingleton(TimeProvider.System);
        Services.Configure<JobsOptions>(_ => { });
        Services.AddSingleton<JobQueue>();
        Services.AddSingleton<RunningJobs>();
        Services.AddScaleOut(configuration);
        Services.AddSingleton<JobService>();
        Services.AddSingleton<JobEstimator>();
        Services.AddSingleton<PromptService>();
        Services.AddSingleton<DatasetService>();
        Services.AddSingleton<PromptStudio.Web.Auth.AuditLog>();
        Services.AddProviders(configuration);
        Services.Configure<PromptStudio.Web.Auth.AuthOptions>(_ => { });
        Services.AddSingleton<PromptStudio.Web.Auth.AccountService>();
        Services.AddSingleton<PromptStudio.Web.Api.ApiKeyService>();
        Services.AddSingleton<WorkspaceService>();
        Services.AddScoped(_ => Infrastructure.TestWorkspaces.SignedIn(WorkspaceRole));
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    /// <summary>How long a test waits for the page to show what it expects (live updates arrive asynchronously).</summary>
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    /// <summary>The role the rendered pages see; tests of role-dependent controls override it.</summary>
    protected virtual WorkspaceRole WorkspaceRole => WorkspaceRole.Owner;

    /// <summary>Who arranges a test's data through the services (which check permissions), whatever role the page sees.</summary>
    protected static WorkspaceContext Owner { get; } = Infrastructure.TestWorkspaces.SignedIn(WorkspaceRole.Owner);

    protected static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    protected JobEventBus Bus => Services.GetRequiredService<JobEventBus>();

    protected IDbContextFactory<StudioDbContext> Db => Services.GetRequiredService<IDbContextFactory<StudioDbContext>>();

    public async ValueTask InitializeAsync()
    {
        await DatabaseSetup.MigrateAsync(Services);
        await DemoData.SeedAsync(Services);
    }

    /// <summary>Renders a page next to the popover and dialog providers it needs; returns the dialog provider too.</summary>
    protected (IRenderedComponent<TPage> Page, IRenderedComponent<MudDialogProvider> Dialogs) RenderPage<TPage>(Action<ComponentParameterCollectionBuilder<TPage>>? parameters = null)
        where TPage : IComponent
    {
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        return (Render(parameters), dialogs);
    }

    protected async Task<(int PromptId, int DatasetId)> DemoIdsAsync()
    {
        await using var db = await Db.CreateDbContextAsync();
        var prompt = await db.Prompts.SingleAsync(p => p.Name == DemoData.PromptName);
        var dataset = await db.Datasets.SingleAsync(d => d.Name == DemoData.DatasetName);
        return (prompt.Id, dataset.Id);
    }

    /// <summary>A job on the demo prompt and dataset, moved into <paramref name="status"/> through the state machine, with its lifecycle events.</summary>
    protected async Task<Guid> SeedJobAsync(JobStatus status, double? targetScore = null)
    {
        var (promptId, datasetId) = await DemoIdsAsync();
        await using var db = await Db.CreateDbContextAsync();
        var now = DateTime.UtcNow;
        var config = new OptimizationConfigDto(MaxIterations: 10, TargetScore: targetScore, Model: OptimizationConfig.SimulatedModel, DryRun: true);
        var job = OptimizationJob.Create(DefaultWorkspace.Id, promptId, datasetId, JsonSerializer.Serialize(config, JobMapping.Json), 10, [], DefaultWorkspace.DemoUser, now);
        db.Jobs.Add(job);
        JobService.AppendEvent(db, job, JobEventTypes.JobQueued, null, "lifecycle", new { promptId, datasetId }, now);
        if (status != JobStatus.Queued && status != JobStatus.Cancelled)
        {
            job.Apply(JobAction.Start, now);
            JobService.AppendEvent(db, job, JobEventTypes.JobStarted, 0, "lifecycle", new { model = "simulated", dryRun = true }, now);
        }
        switch (status)
        {
            case JobStatus.Paused:
                job.Apply(JobAction.Pause, now);
                JobService.AppendEvent(db, job, JobEventTypes.JobPaused, 0, "lifecycle", new { requestedBy = "user" }, now);
                break;
            case JobStatus.Completed:
                job.Complete(StopReasons.MaxIterations, null, now);
                JobService.AppendEvent(db, job, JobEventTypes.JobComplete, 0, "lifecycle", new { stopReason = StopReasons.MaxIterations }, now);
                break;
            case JobStatus.Failed:
                job.Fail("The simulated provider fell over.", now);
                JobService.AppendEvent(db, job, JobEventTypes.JobFailed, 0, "lifecycle", new { error = "The simulated provider fell over." }, now);
                break;
            case JobStatus.Cancelled:
                job.Cancel(now);
                JobService.AppendEvent(db, job, JobEventTypes.JobCancelled, null, "lifecycle", new { requestedBy = "user" }, now);
                break;
        }
        await db.SaveChangesAsync();
        return job.Id;
    }

    /// <summary>
    /// Does what the worker does at a checkpoint: updates the job row, stores the events (the job's LastEventId
    /// moves on), then publishes what was stored.
    /// </summary>
    protected async Task<IReadOnlyList<JobEventDto>> AppendEventsAsync(Guid jobId, bool publish, params (string Type, int? Iteration, object Data)[] events) =>
        await AppendEventsAsync(jobId, publish, _ => { }, events);

    protected async Task<IReadOnlyList<JobEventDto>> AppendEventsAsync(Guid jobId, bool publish, Action<OptimizationJob> update, params (string Type, int? Iteration, object Data)[] events)
    {
        await using var db = await Db.CreateDbContextAsync();
        var job = await db.Jobs.SingleAsync(j => j.Id == jobId);
        update(job);
        var stored = events.Select(e => JobService.AppendEvent(db, job, e.Type, e.Iteration, "test", e.Data, DateTime.UtcNow)).ToList();
        await db.SaveChangesAsync();
        var dtos = stored.Select(e => e.ToDto()).ToList();
        if (publish) Bus.Publish(dtos);
        return dtos;
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _databasePath, _databasePath + "-wal", _databasePath + "-shm" }) File.Delete(file);
    }
}
