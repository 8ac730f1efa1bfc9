using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace PromptStudio.E2E;

public sealed class AccessibilityTests(StudioApp app) : BrowserTest(app)
{
    public static TheoryData<string, bool> Pages => new()
    {
        { "/jobs", false },
        { "/jobs/new", false },
        { "/jobs/{job}", false },
        { "/prompts", false },
        { "/jobs", true },
        { "/jobs/new", true },
        { "/jobs/{job}", true },
        { "/prompts", true },
        { "/prompts/1", false },
        { "/datasets/1", false },
        { "/jobs/compare?ids={job},{job}", false },
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Page_HasNoSeriousOrCriticalAxeViolations(string path, bool dark)
    {
        var isJobPage = path == "/jobs/{job}";
        var jobs = new List<Guid>();
        while (path.Contains("{job}", StringComparison.Ordinal))
        {
            var job = (await App.StartDryRunJobAsync(maxIterations: 2, latencyMs: 0)).Id;
            jobs.Add(job);
            var at = path.IndexOf("{job}", StringComparison.Ordinal);
            path = string.Concat(path.AsSpan(0, at), job.ToString(), path.AsSpan(at + "{job}".Length));
        }
        await OpenAsync(path);
        // The job page is checked with everything a finished job shows (result link, stop reason, full chart).
        if (isJobPage) await Expect(ByTestId("job-state")).ToHaveTextAsync("completed", new() { Timeout = App.Settings.JobTimeoutMs });
        if (dark)
        {
            await ByTestId("theme-toggle").ClickAsync();
            await Expect(ByTestId("theme-toggle")).ToHaveAttributeAsync("aria-label", "Switch to the light theme");
        }

        var result = await Page.RunAxe();

        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, string.Join("\n", serious.Select(Describe)));
    }

    private static string Describe(AxeResultItem v) =>
        $"{v.Impact} {v.Id}: {v.Help}\n" + string.Join("\n", v.Nodes.Take(5).Select(n => $"    {n.Html}"));
}
