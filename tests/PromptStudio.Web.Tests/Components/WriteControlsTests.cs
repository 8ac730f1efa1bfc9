using Bunit;
using Microsoft.AspNetCore.Components;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Components.Pages.Datasets;
using PromptStudio.Web.Components.Pages.Jobs;
using PromptStudio.Web.Components.Pages.Prompts;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Tests.Components;

/// <summary>
/// Every page offers its write controls to a role that may write and does not render them for one that may not;
/// the same table runs once per role (the subclasses below).
/// </summary>
public abstract class WriteControlsTests : StudioComponentTest
{
    private bool MayWrite => WorkspaceRole.Allows(Permission.Write);

    public static TheoryData<string> Pages => ["/prompts", "/prompts/{id}", "/datasets", "/datasets/{id}", "/jobs", "/jobs/{id}"];

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task APage_OffersItsWriteControls_OnlyToARoleThatMayWrite(string route)
    {
        var (promptId, datasetId) = await DemoIdsAsync();
        switch (route)
        {
            case "/prompts":
                AssertWriteControls(RenderPage<PromptsPage>().Page, "[data-testid=prompt-row]",
                    "[data-testid=new-prompt-button]", "[data-testid=optimize-row-button]", "a[href^='/jobs/new']");
                break;
            case "/prompts/{id}":
                AssertWriteControls(RenderPage<PromptPage>(p => p.Add(x => x.Id, promptId)).Page, "[data-testid=prompt-template-text]",
                    "[data-testid=optimize-button]", "[data-testid=edit-prompt-button]", "a[href^='/jobs/new']");
                break;
            case "/datasets":
                AssertWriteControls(RenderPage<DatasetsPage>().Page, "[data-testid=dataset-row]", "[data-testid=new-dataset-button]");
                break;
            case "/datasets/{id}":
                // Export only reads: everybody gets it.
                AssertWriteControls(RenderPage<DatasetPage>(p => p.Add(x => x.Id, datasetId)).Page, "[data-testid=export-buttons]",
                    "[data-testid=optimize-dataset-button]", "[data-testid=dataset-import]", "[data-testid=add-item-button]",
                    "[data-testid=edit-item-button]", "[data-testid=delete-item-button]", "a[href^='/jobs/new']");
                break;
            case "/jobs":
                // No jobs yet: the empty grid's "Start one" link is a write control too.
                AssertWriteControls(RenderPage<JobsPage>().Page, "[data-testid=jobs-grid]", "[data-testid=new-job-button]", "a[href='/jobs/new']");
                break;
            case "/jobs/{id}":
                var jobId = await SeedJobAsync(JobStatus.Running);
                AssertWriteControls(RenderPage<JobPage>(p => p.Add(x => x.Id, jobId)).Page, "[data-testid=job-state]",
                    "[data-testid=pause-button]", "[data-testid=resume-button]", "[data-testid=cancel-button]");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(route), route, null);
        }
    }

    [Fact]
    public void TheNewJobPage_ShowsTheFormToARoleThatMayWrite_AndSaysWhyToOneThatMayNot()
    {
        var (page, _) = RenderPage<NewJobPage>();

        if (MayWrite)
        {
            page.WaitForElement("[data-testid=new-job-form]", Wait);
            Assert.NotEmpty(page.FindAll("[data-testid=start-job-button]"));
            Assert.Empty(page.FindAll("[data-testid=new-job-forbidden]"));
        }
        else
        {
            var message = page.WaitForElement("[data-testid=new-job-forbidden]", Wait);
            Assert.Contains($"Your role ({WorkspaceRole.ToWire()}) cannot start jobs.", message.TextContent);
            Assert.Empty(page.FindAll("[data-testid=new-job-form]"));
            Assert.Empty(page.FindAll("[data-testid=start-job-button]"));
        }
    }

    /// <summary>Waits for the page's data (<paramref name="ready"/>, shown to every role), then checks each control is there exactly when the role may write.</summary>
    private void AssertWriteControls<TPage>(IRenderedComponent<TPage> page, string ready, params string[] controls) where TPage : IComponent
    {
        page.WaitForElement(ready, Wait);
        foreach (var control in controls)
        {
            var shown = page.FindAll(control).Count > 0;
            Assert.True(shown == MayWrite, $"{control} is {(shown ? "offered to" : "missing for")} a {WorkspaceRole.ToWire()}.");
        }
    }
}

public sealed class WriteControlsForAViewerTests : WriteControlsTests
{
    protected override WorkspaceRole WorkspaceRole => WorkspaceRole.Viewer;
}

public sealed class WriteControlsForAMemberTests : WriteControlsTests
{
    protected override WorkspaceRole WorkspaceRole => WorkspaceRole.Member;
}
