using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Datasets;
using PromptStudio.Web.Prompts;
using PromptStudio.Web.Workspaces;
using PromptStudio.Web.Components.Pages.Jobs;
using Xunit;

namespace PromptStudio.Web.Tests.Components;

public sealed class NewJobPageTests : StudioComponentTest
{
    /// <summary>Field, value typed, and the message the API answers for it (OptimizationConfigParser's words).</summary>
    public static TheoryData<string, string, string> OutOfRange => new()
    {
        { "max-iterations", "0", "maxIterations must be between 1 and 100 (got 0)." },
        { "max-iterations", "500", "maxIterations must be between 1 and 100 (got 500)." },
        { "target-score", "1.5", "targetScore must be between 0.0 and 1.0 (got 1.5)." },
        { "patience", "60", "patience must be between 1 and 50 (got 60)." },
        { "mutation-strength", "2", "mutationStrength must be between 0 and 1 (got 2)." },
        { "candidates-per-iteration", "11", "candidatesPerIteration must be between 1 and 10 (got 11)." },
        { "simulated-latency", "20000", "simulatedLatencyMs must be between 0 and 10000 (got 20000)." },
        { "concurrency", "0", "concurrency must be between 1 and 64 (got 0)." },
        { "validation-split", "0.9", "validationSplit must be between 0 and 0.5 (got 0.9)." },
        { "min-improvement", "-1", "minImprovement must be between 0 and 1 (got -1)." },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void NewJobForm_ShowsTheApiMessage_ForAnOutOfRangeValue(string field, string value, string message)
    {
        var (page, _) = RenderPage<NewJobPage>();
        page.WaitForAssertion(() => Assert.False(StartDisabled(page)), Wait);

        page.Find($"input[data-testid={field}]").Input(value);

        page.WaitForAssertion(() =>
        {
            var control = page.Find($"input[data-testid={field}]").Closest(".mud-input-control")!;
            Assert.Equal(message, control.QuerySelector(".mud-input-helper-text.mud-input-error")?.TextContent.Trim());
        }, Wait);
        Assert.Contains(message, page.Find("[data-testid=form-errors]").TextContent);
        Assert.True(StartDisabled(page));
    }

    [Fact]
    public void NewJobForm_ClearsTheMessage_WhenTheValueIsBackInRange()
    {
        var (page, _) = RenderPage<NewJobPage>();
        page.WaitForAssertion(() => Assert.False(StartDisabled(page)), Wait);

        page.Find("input[data-testid=patience]").Input("0");
        page.WaitForAssertion(() => Assert.Contains("patience must be between 1 and 50 (got 0).", page.Markup), Wait);
        page.Find("input[data-testid=patience]").Input("5");

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=form-errors]")), Wait);
        Assert.False(StartDisabled(page));
    }

    [Fact]
    public async Task NewJobForm_PrefillsThePromptVersionAndDataset_FromTheQuery()
    {
        var (promptId, _) = await DemoIdsAsync();
        // Not the defaults: an older version of the prompt and a dataset that is not linked to it.
        await Services.GetRequiredService<PromptService>().AddVersionAsync(Owner, promptId,
            new AddPromptVersionRequest("Sentiment of {{review}} about {{product}}?"), Ct);
        var other = await Services.GetRequiredService<DatasetService>().CreateAsync(Owner,
            new CreateDatasetRequest("Hand-picked", [new DatasetItemInput(new() { ["review"] = JsonSerializer.SerializeToElement("ok"), ["product"] = JsonSerializer.SerializeToElement("pen") })]), Ct);
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/jobs/new?promptId={promptId}&datasetId={other.Id}");

        var (page, _) = RenderPage<NewJobPage>();

        page.WaitForAssertion(() =>
        {
            Assert.Equal("Review sentiment", page.Find("input[data-testid=prompt-select]").GetAttribute("value"));
            Assert.StartsWith("v1 ·", page.Find("input[data-testid=version-select]").GetAttribute("value"));
            Assert.Equal("Hand-picked (1 items)", page.Find("input[data-testid=dataset-select]").GetAttribute("value"));
        }, Wait);
    }

    [Fact]
    public async Task NewJobForm_StartsADryRunJob_AndOpensItsPage()
    {
        var (page, _) = RenderPage<NewJobPage>();
        page.WaitForAssertion(() => Assert.False(StartDisabled(page)), Wait);
        page.Find("input[data-testid=max-iterations]").Input("3");
        page.Find("input[data-testid=seed]").Input("7");

        page.Find("[data-testid=new-job-form]").Submit();

        var navigation = Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.Matches("/jobs/[0-9a-f-]{36}$", navigation.Uri), Wait);
        var jobId = Guid.Parse(navigation.Uri[^36..]);
        await using var db = await Db.CreateDbContextAsync(Ct);
        var job = await db.Jobs.SingleAsync(j => j.Id == jobId, Ct);
        Assert.Equal(JobStatus.Queued, job.Status);
        Assert.Equal(3, job.MaxIterations);
        Assert.Contains("\"dryRun\":true", job.ConfigJson);
        Assert.Contains("\"seed\":7", job.ConfigJson);
    }

    private static bool StartDisabled(IRenderedComponent<NewJobPage> page) =>
        page.Find("[data-testid=start-job-button]").HasAttribute("disabled");
}
