using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using PromptStudio.Web.Prompts;
using PromptStudio.Web.Workspaces;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace PromptStudio.E2E;

public sealed partial class JobLifecycleTests(StudioApp app) : BrowserTest(app)
{
    /// <summary>With this seed the simulated run improves in each of its first five iterations, so a resumed run soon beats the paused best.</summary>
    private const int Seed = 2;

    [Fact]
    public async Task ADryRunJobStartedFromTheForm_GrowsLive_PausesResumesAndCancels()
    {
        await OpenAsync("/jobs/new");
        await ByTestId("max-iterations").FillAsync("40");
        await Page.GetByText("Advanced tuning").ClickAsync();
        await ByTestId("simulated-latency").FillAsync("150");
        await ByTestId("seed").FillAsync(Seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(ByTestId("dry-run-switch")).ToBeCheckedAsync();
        await ByTestId("start-job-button").ClickAsync();

        await Expect(Page).ToHaveURLAsync(JobUrl());
        await Expect(ByTestId("job-state")).ToHaveTextAsync("running", new() { Timeout = App.Settings.JobTimeoutMs });
        await Expect(ByTestId("score-chart")).ToHaveAttributeAsync("data-points", AtLeastThree(), new() { Timeout = App.Settings.JobTimeoutMs });

        await ByTestId("pause-button").ClickAsync();
        await Expect(ByTestId("job-state")).ToHaveTextAsync("paused");
        await Expect(ByTestId("resume-button")).ToBeEnabledAsync();
        await Expect(ByTestId("pause-button")).ToBeDisabledAsync();
        var pausedBest = (await ByTestId("best-score").TextContentAsync())!.Trim();
        await Expect(Page.GetByTestId("event-row").First).ToHaveAttributeAsync("data-event-type", "job_paused");
        // A quiet window several iterations long (~2 s each here): a running job would have produced events in it.
        await AssertNothingChangesAsync("[data-testid=best-score], [data-testid=event-log]", TimeSpan.FromSeconds(5));
        await Expect(ByTestId("best-score")).ToHaveTextAsync(pausedBest);

        await ByTestId("resume-button").ClickAsync();
        await Expect(ByTestId("job-state")).ToHaveTextAsync("running");
        await Expect(ByTestId("best-score")).Not.ToHaveTextAsync(pausedBest, new() { Timeout = App.Settings.JobTimeoutMs });

        await ByTestId("cancel-button").ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("Cancel this job?");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel job" }).ClickAsync();
        await Expect(ByTestId("job-state")).ToHaveTextAsync("cancelled");
        await Expect(ByTestId("pause-button")).ToBeDisabledAsync();
        await Expect(ByTestId("resume-button")).ToBeDisabledAsync();
        await Expect(ByTestId("cancel-button")).ToBeDisabledAsync();
    }

    [Fact]
    public async Task ACompletedJob_LinksToTheNewPromptVersion_WhichShowsTheBestPrompt()
    {
        var job = await App.StartDryRunJobAsync(maxIterations: 3, latencyMs: 0, Seed);

        await OpenAsync($"/jobs/{job.Id}");

        await Expect(ByTestId("job-state")).ToHaveTextAsync("completed", new() { Timeout = App.Settings.JobTimeoutMs });
        var best = (await ByTestId("best-prompt").TextContentAsync())!;
        await ByTestId("result-prompt-link").ClickAsync();

        await Expect(Page).ToHaveURLAsync(new Regex(@"/prompts/\d+$"));
        var promptId = int.Parse(Page.Url[(Page.Url.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var saved = await App.Services.GetRequiredService<PromptService>().GetAsync(DefaultWorkspace.Id, promptId, Ct);
        Assert.Equal(job.Id, saved.SourceJobId);
        await Expect(ByTestId("prompt-version")).ToHaveTextAsync($"Version {saved.Version}");
        await Expect(ByTestId("source-job-link")).ToHaveAttributeAsync("href", $"/jobs/{job.Id}");
        Assert.Equal(Normalize(best), Normalize((await ByTestId("prompt-template-text").TextContentAsync())!));
    }

    [Fact]
    public async Task TwoBrowsersOnTheSameJob_AgreeOnItsStateScoresAndEvents()
    {
        var job = await App.StartDryRunJobAsync(maxIterations: 40, latencyMs: 150, Seed);
        await OpenAsync($"/jobs/{job.Id}");
        var other = await NewBrowserPageAsync();
        await OpenAsync(other, $"/jobs/{job.Id}");
        await Expect(other.GetByTestId("score-chart")).ToHaveAttributeAsync("data-points", AtLeastThree(), new() { Timeout = App.Settings.JobTimeoutMs });

        await other.GetByTestId("pause-button").ClickAsync();
        await Expect(other.GetByTestId("job-state")).ToHaveTextAsync("paused");

        // The first browser did nothing and still follows: same state, score, chart and newest event.
        await Expect(ByTestId("job-state")).ToHaveTextAsync("paused");
        await Expect(ByTestId("resume-button")).ToBeEnabledAsync();
        await Expect(ByTestId("best-score")).ToHaveTextAsync((await other.GetByTestId("best-score").TextContentAsync())!);
        await Expect(ByTestId("score-chart")).ToHaveAttributeAsync("data-points", (await other.GetByTestId("score-chart").GetAttributeAsync("data-points"))!);
        await Expect(Page.GetByTestId("event-row").First).ToHaveAttributeAsync("data-event-id",
            (await other.GetByTestId("event-row").First.GetAttributeAsync("data-event-id"))!);

        await App.Services.GetRequiredService<PromptStudio.Web.Jobs.JobService>().CancelAsync(await App.OwnerContextAsync(), job.Id, Ct);
    }

    [Fact]
    public async Task ABrowserThatLostItsConnection_ShowsTheCurrentStateOnceItReconnects()
    {
        var job = await App.StartDryRunJobAsync(maxIterations: 40, latencyMs: 150, Seed);
        await OpenAsync($"/jobs/{job.Id}");
        await Expect(ByTestId("score-chart")).ToHaveAttributeAsync("data-points", AtLeastThree(), new() { Timeout = App.Settings.JobTimeoutMs });

        // Cut the circuit's connection and keep it down: every reconnection attempt starts with a negotiate
        // request, which fails while this route is in place.
        await Page.RouteAsync("**/_blazor/negotiate**", route => route.AbortAsync());
        await Page.EvaluateAsync("() => Blazor._internal.forceCloseConnection()");
        await Expect(Page.GetByText(new Regex("^Rejoin"))).ToBeVisibleAsync();

        // While the browser is away the job moves on and is paused by someone else.
        var jobs = App.Services.GetRequiredService<PromptStudio.Web.Jobs.JobService>();
        await jobs.PauseAsync(await App.OwnerContextAsync(), job.Id, Ct);
        await WaitUntilAsync(async () => (await jobs.GetAsync(DefaultWorkspace.Id, job.Id, Ct)).Status == "paused");

        await Expect(ByTestId("job-state")).ToHaveTextAsync("running"); // nothing reaches a disconnected page

        await Page.UnrouteAsync("**/_blazor/negotiate**");
        await Expect(ByTestId("job-state")).ToHaveTextAsync("paused", new() { Timeout = App.Settings.JobTimeoutMs });
        await Expect(Page.GetByText(new Regex("^Rejoin"))).ToBeHiddenAsync();
        await Expect(ByTestId("resume-button")).ToBeEnabledAsync();
        await Expect(Page.GetByTestId("event-row").First).ToHaveAttributeAsync("data-event-type", "job_paused");

        // It agrees with a page opened afresh, which reads everything from the database.
        var fresh = await NewBrowserPageAsync();
        await OpenAsync(fresh, $"/jobs/{job.Id}");
        await Expect(ByTestId("best-score")).ToHaveTextAsync((await fresh.GetByTestId("best-score").TextContentAsync())!);
        await Expect(ByTestId("score-chart")).ToHaveAttributeAsync("data-points", (await fresh.GetByTestId("score-chart").GetAttributeAsync("data-points"))!);
        await Expect(Page.GetByTestId("event-row").First).ToHaveAttributeAsync("data-event-id",
            (await fresh.GetByTestId("event-row").First.GetAttributeAsync("data-event-id"))!);

        await jobs.CancelAsync(await App.OwnerContextAsync(), job.Id, Ct);
    }

    private async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(App.Settings.JobTimeoutMs);
        while (!await condition()) await Task.Delay(50, timeout.Token);
    }

    /// <summary>Fails if any of the elements changes within <paramref name="window"/>.</summary>
    private async Task AssertNothingChangesAsync(string selector, TimeSpan window)
    {
        var changed = Page.WaitForFunctionAsync(
            """
            selector => new Promise(resolve => {
              const observer = new MutationObserver(() => resolve(true));
              document.querySelectorAll(selector).forEach(e => observer.observe(e, { subtree: true, childList: true, characterData: true }));
            })
            """,
            selector, new PageWaitForFunctionOptions { Timeout = (float)window.TotalMilliseconds });
        await Assert.ThrowsAsync<TimeoutException>(() => changed);
    }

    private static string Normalize(string text) => WhiteSpace().Replace(text, " ").Trim();

    [GeneratedRegex(@"/jobs/[0-9a-f-]{36}$")]
    private static partial Regex JobUrl();

    [GeneratedRegex(@"^([3-9]|\d{2,})$")]
    private static partial Regex AtLeastThree();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
