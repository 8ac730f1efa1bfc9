using Bunit;
using PromptStudio.Web.Components.Pages.Jobs;
using Xunit;

namespace PromptStudio.Web.Tests.Components;

public sealed class NewJobEstimateTests : StudioComponentTest
{
    private const int DemoItems = 16;

    private static string UpperCalls(IRenderedComponent<NewJobPage> page) =>
        page.Find("[data-testid=job-estimate]").GetAttribute("data-upper-calls") ?? "";

    [Fact]
    public void NewJobForm_ShowsTheEstimate_AndUpdatesItAsMaxIterationsChanges()
    {
        var (page, _) = RenderPage<NewJobPage>();

        // The defaults: 10 iterations of 3 candidates, dryRun, on the demo's 16 items.
        page.WaitForAssertion(() => Assert.Equal($"{DemoItems + 10 * (3 + 3 * DemoItems)}", UpperCalls(page)), Wait);
        Assert.Equal("526", page.Find("[data-testid=estimate-upper-calls]").TextContent);
        Assert.Contains("simulated: no cost", page.Find("[data-testid=job-estimate]").TextContent);

        page.Find("input[data-testid=max-iterations]").Input("2");

        page.WaitForAssertion(() => Assert.Equal($"{DemoItems + 2 * (3 + 3 * DemoItems)}", UpperCalls(page)), Wait);
        Assert.Contains("At most (2 iterations)", page.Find("[data-testid=estimate-upper]").TextContent);
    }

    [Theory]
    [InlineData("max-iterations", "0", "maxIterations must be between 1 and 100 (got 0).")]
    [InlineData("metric-threshold", "1.5", "threshold must be between 0 and 1 (got 1.5).")]
    public void NewJobForm_NamesTheBadSetting_AndWaitsForValidSettingsBeforeEstimating(string field, string value, string message)
    {
        var (page, _) = RenderPage<NewJobPage>();
        page.WaitForAssertion(() => Assert.NotEqual("", UpperCalls(page)), Wait);

        page.Find($"input[data-testid={field}]").Input(value);

        page.WaitForAssertion(() =>
        {
            Assert.Contains(message, page.Find("[data-testid=form-errors]").TextContent);
            Assert.Equal("Fix the highlighted settings to see an estimate.", page.Find("[data-testid=estimate-message]").TextContent);
        }, Wait);
    }
}
