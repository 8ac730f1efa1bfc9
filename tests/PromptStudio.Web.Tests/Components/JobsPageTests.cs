using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using PromptStudio.Client;
using PromptStudio.Web.Components.Pages.Jobs;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Workspaces;
using Xunit;

namespace PromptStudio.Web.Tests.Components;

public sealed class JobsPageTests : StudioComponentTest
{
    [Fact]
    public async Task JobsGrid_ShowsANewJobAndItsStateChanges_WithoutAReload()
    {
        var (page, _) = RenderPage<JobsPage>();
        page.WaitForElement("[data-testid=jobs-grid]", Wait);
        Assert.Empty(page.FindAll("[data-testid=job-row]"));

        // The service announces on the workspace bus, as it does for the API and the workers.
        var job = await StartAsync();
        page.WaitForAssertion(() => Assert.Equal("queued", Row(page, job.Id).GetAttribute("data-status")), Wait);

        await Services.GetRequiredService<JobService>().CancelAsync(Owner, job.Id, Ct);
        page.WaitForAssertion(() => Assert.Equal("cancelled", Row(page, job.Id).QuerySelector("[data-testid=job-row-state]")!.TextContent.Trim()), Wait);
    }

    [Fact]
    public async Task JobsGrid_FilteredByState_DropsAJobThatLeavesTheState()
    {
        var queued = await StartAsync();
        var other = await StartAsync();
        Services.GetRequiredService<NavigationManager>().NavigateTo("/jobs?status=queued");
        var (page, _) = RenderPage<JobsPage>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=job-row]").Count), Wait);

        await Services.GetRequiredService<JobService>().CancelAsync(Owner, other.Id, Ct);

        page.WaitForAssertion(() => Assert.Equal([queued.Id.ToString()], page.FindAll("[data-testid=job-row]").Select(r => r.GetAttribute("data-job-id"))), Wait);
    }

    private async Task<JobDto> StartAsync()
    {
        var (promptId, datasetId) = await DemoIdsAsync();
        return await Services.GetRequiredService<JobService>().StartAsync(Owner,
            new StartOptimizationRequest(promptId, datasetId, new OptimizationConfigDto(MaxIterations: 2, DryRun: true)), Ct);
    }

    private static AngleSharp.Dom.IElement Row(IRenderedComponent<JobsPage> page, Guid id) =>
        page.Find($"[data-testid=job-row][data-job-id='{id}']");
}
