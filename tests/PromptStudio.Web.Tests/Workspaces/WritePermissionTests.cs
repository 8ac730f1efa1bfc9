using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Api;
using PromptStudio.Web.Datasets;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Prompts;
using PromptStudio.Web.Tests.Components;
using PromptStudio.Web.Tests.Infrastructure;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Tests.Workspaces;

/// <summary>
/// The prompt, dataset and job services check write permission themselves, so a caller that skips the API's
/// filter (the dashboard) is refused the same way. Each write is tried by a member too, so a refusal is the
/// permission and not a problem with the test's data.
/// </summary>
public sealed class WritePermissionTests : StudioComponentTest
{
    private static readonly Dictionary<string, JsonElement> Input = new()
    {
        ["product"] = JsonSerializer.SerializeToElement("pen"),
        ["review"] = JsonSerializer.SerializeToElement("Writes well."),
    };

    public static TheoryData<string> Writes =>
    [
        "create a prompt", "add a prompt version", "create a dataset", "add dataset items", "edit a dataset item",
        "delete a dataset item", "start a job", "pause a job", "resume a job", "cancel a job",
    ];

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task AViewer_IsRefusedEveryWrite_AndNothingIsSaved(string write)
    {
        var act = await ArrangeAsync(write);
        var before = await SnapshotAsync();

        var error = await Assert.ThrowsAsync<ForbiddenException>(() => act(TestWorkspaces.SignedIn(WorkspaceRole.Viewer)));

        Assert.Contains("'write'", error.Message);
        Assert.Contains("'viewer'", error.Message);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task AMember_MayDoEveryWrite(string write)
    {
        var act = await ArrangeAsync(write);
        var before = await SnapshotAsync();

        await act(TestWorkspaces.SignedIn(WorkspaceRole.Member));

        Assert.NotEqual(before, await SnapshotAsync());
    }

    /// <summary>Sets up what the write needs (as the owner) and returns the write, to be done as a given caller.</summary>
    private async Task<Func<WorkspaceContext, Task>> ArrangeAsync(string write)
    {
        var prompts = Services.GetRequiredService<PromptService>();
        var datasets = Services.GetRequiredService<DatasetService>();
        var jobs = Services.GetRequiredService<JobService>();
        var (promptId, datasetId) = await DemoIdsAsync();
        await using var db = await Db.CreateDbContextAsync(Ct);
        var itemId = await db.DatasetItems.Where(i => i.DatasetId == datasetId).Select(i => i.Id).FirstAsync(Ct);
        return write switch
        {
            "create a prompt" => ws => prompts.CreateAsync(ws, new CreatePromptRequest("Summary", "Summarize {{text}}"), Ct),
            "add a prompt version" => ws => prompts.AddVersionAsync(ws, promptId, new AddPromptVersionRequest("Sentiment of {{review}} about {{product}}?"), Ct),
            "create a dataset" => ws => datasets.CreateAsync(ws, new CreateDatasetRequest("Pens", [new DatasetItemInput(Input, "positive")]), Ct),
            "add dataset items" => ws => datasets.AddItemsAsync(ws, datasetId, new AddDatasetItemsRequest([new DatasetItemInput(Input, "positive")]), Ct),
            "edit a dataset item" => ws => datasets.UpdateItemAsync(ws, datasetId, itemId, new DatasetItemInput(Input, "edited"), Ct),
            "delete a dataset item" => ws => datasets.DeleteItemAsync(ws, datasetId, itemId, Ct),
            "start a job" => ws => jobs.StartAsync(ws, new StartOptimizationRequest(promptId, datasetId, new OptimizationConfigDto(MaxIterations: 2, DryRun: true)), Ct),
            "pause a job" => await JobInAsync(JobStatus.Running, (ws, id) => jobs.PauseAsync(ws, id, Ct)),
            "resume a job" => await JobInAsync(JobStatus.Paused, (ws, id) => jobs.ResumeAsync(ws, id, Ct)),
            "cancel a job" => await JobInAsync(JobStatus.Queued, (ws, id) => jobs.CancelAsync(ws, id, Ct)),
            _ => throw new ArgumentOutOfRangeException(nameof(write), write, null),
        };
    }

    private async Task<Func<WorkspaceContext, Task>> JobInAsync(JobStatus status, Func<WorkspaceContext, Guid, Task> control)
    {
        var jobId = await SeedJobAsync(status);
        return ws => control(ws, jobId);
    }

    /// <summary>Everything a write could change: rows of every kind it adds, item contents, job states and events, the audit log.</summary>
    private async Task<string> SnapshotAsync()
    {
        await using var db = await Db.CreateDbContextAsync(Ct);
        var jobs = await db.Jobs.AsNoTracking().OrderBy(j => j.Id).Select(j => new { j.Id, j.Status, j.LastEventId }).ToListAsync(Ct);
        var items = await db.DatasetItems.AsNoTracking().OrderBy(i => i.Id).Select(i => new { i.Id, i.ExpectedOutput }).ToListAsync(Ct);
        return string.Join(" | ", [
            $"prompts {await db.Prompts.CountAsync(Ct)}",
            $"datasets {await db.Datasets.CountAsync(Ct)}",
            $"events {await db.JobEvents.CountAsync(Ct)}",
            $"audit {await db.AuditEntries.CountAsync(Ct)}",
            .. jobs.Select(j => $"job {j.Id} {j.Status} {j.LastEventId}"),
            .. items.Select(i => $"item {i.Id} {i.ExpectedOutput}")]);
    }
}
