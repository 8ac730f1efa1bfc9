using AngleSharp.Dom;
using Bunit;
using Microsoft.EntityFrameworkCore;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Optimization;
using PromptStudio.Web.Components.Pages.Jobs;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Workspaces;
using Xunit;

namespace PromptStudio.Web.Tests.Components;

public sealed class JobPageTests : StudioComponentTest
{
    public static TheoryData<JobStatus, bool, bool, bool> States => new()
    {
        { JobStatus.Queued, false, false, true },
        { JobStatus.Running, true, false, true },
        { JobStatus.Paused, false, true, true },
        { JobStatus.Completed, false, false, false },
        { JobStatus.Failed, false, false, false },
        { JobStatus.Cancelled, false, false, false },
    };

    [Theory]
    [MemberData(nameof(States))]
    public async Task JobPage_EnablesExactlyTheAllowedButtons_InEveryState(JobStatus status, bool pause, bool resume, bool cancel)
    {
        var jobId = await SeedJobAsync(status);
        var allowed = (await Services.GetService<JobService>()!.GetAsync(DefaultWorkspace.Id, jobId, Ct)).AllowedActions;

        var (page, _) = RenderPage<JobPage>(p => p.Add(x => x.Id, jobId));

        page.WaitForAssertion(() => Assert.Equal(status.ToWire(), page.Find("[data-testid=job-state]").TextContent.Trim()), Wait);
        Assert.Equal(pause, IsEnabled(page, "pause-button"));
        Assert.Equal(resume, IsEnabled(page, "resume-button"));
        Assert.Equal(cancel, IsEnabled(page, "cancel-button"));
        // The table above is the API's own: the page enables a button exactly when the job allows the action.
        Assert.Equal(allowed.Contains("pause"), IsEnabled(page, "pause-button"));
        Assert.Equal(allowed.Contains("resume"), IsEnabled(page, "resume-button"));
        Assert.Equal(allowed.Contains("cancel"), IsEnabled(page, "cancel-button"));
    }

    [Fact]
    public async Task JobPage_ShowsTheErrorOfAFailedJob()
    {
        var jobId = await SeedJobAsync(JobStatus.Failed);

        var (page, _) = RenderPage<JobPage>(p => p.Add(x => x.Id, jobId));

        page.WaitForAssertion(() => Assert.Contains("The simulated provider fell over.", page.Find("[data-testid=job-error]").TextContent), Wait);
    }

    [Fact]
    public async Task PublishedEvents_AddAChartPointAndUpdateTheBestScoreAndPrompt()
    {
        var jobId = await SeedJobAsync(JobStatus.Running, targetScore: 0.9);
        await AppendEventsAsync(jobId, publish: false, job => job.BaselineScore = job.BestScore = 0.5, Baseline(0.5));
        var (page, _) = RenderPage<JobPage>(p => p.Add(x => x.Id, jobId));
        page.WaitForAssertion(() => Assert.Equal("1", page.Find("[data-testid=score-chart]").GetAttribute("data-points")), Wait);
        Assert.Equal("0.500", page.Find("[data-testid=best-score]").TextContent.Trim());
        var segmentsBefore = BestSoFarSegments(page);

        await AppendEventsAsync(jobId, publish: true,
            (JobEventTypes.EvaluationComplete, 1, new { index = 1, mutationKind = "add_instruction", score = 0.75 }),
            (JobEventTypes.NewBest, 1, new { index = 1, mutationKind = "add_instruction", score = 0.75, previousBest = 0.5, improvement = 0.25, template = "Answer with one word.\n{{review}}" }),
            (JobEventTypes.IterationComplete, 1, new { iteration = 1, bestScore = 0.75, iterationBestScore = 0.75 }));

        page.WaitForAssertion(() =>
        {
            Assert.Equal("2", page.Find("[data-testid=score-chart]").GetAttribute("data-points"));
            Assert.Equal("0.750", page.Find("[data-testid=best-score]").TextContent.Trim());
            Assert.Equal("+0.250", page.Find("[data-testid=improvement]").TextContent.Trim());
            Assert.Contains("Answer with one word.", page.Find("[data-testid=best-prompt]").TextContent);
        }, Wait);
        // The chart itself drew the new point: the best-so-far line has one more segment.
        Assert.Equal(segmentsBefore + 1, BestSoFarSegments(page));
        Assert.Contains(page.FindAll("[data-testid=event-row]"), r => r.GetAttribute("data-event-type") == JobEventTypes.NewBest);
    }

    [Fact]
    public async Task IterationTable_GainsTheNewCandidates_AndShowsPerItemResultsOnDemand()
    {
        var jobId = await SeedJobAsync(JobStatus.Running);
        var (page, _) = RenderPage<JobPage>(p => p.Add(x => x.Id, jobId));
        page.WaitForElement("[data-testid=event-log]", Wait);
        Assert.Empty(page.FindAll("[data-testid=candidate-row]"));
        var itemIds = await ItemIdsAsync(2);

        // What the worker checkpoints for iteration 1: the iteration row, its candidates with per-item results, then the events.
        await using (var db = await Db.CreateDbContextAsync(Ct))
        {
            db.JobIterations.Add(new JobIteration { JobId = jobId, Iteration = 1, Completed = true, BestScore = 0.5, StartedAt = DateTime.UtcNow });
            db.JobCandidates.AddRange(
                Candidate(jobId, 1, 0.5, new ItemResult(itemIds[0], "positive", 1, new Dictionary<string, double> { ["exact_match"] = 1 }),
                    new ItemResult(itemIds[1], "neutral", 0, new Dictionary<string, double> { ["exact_match"] = 0 })),
                Candidate(jobId, 2, 0.0, new ItemResult(itemIds[0], "no idea", 0, new Dictionary<string, double> { ["exact_match"] = 0 })));
            await db.SaveChangesAsync(Ct);
        }
        await AppendEventsAsync(jobId, publish: true, (JobEventTypes.IterationComplete, 1, new { iteration = 1, bestScore = 0.5, iterationBestScore = 0.5 }));

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=candidate-row][data-iteration='1']").Count), Wait);
        page.FindAll("[data-testid=show-items-button]")[0].Click();

        page.WaitForAssertion(() =>
        {
            var rows = page.FindAll("[data-testid=item-results] tbody tr");
            Assert.Equal(2, rows.Count);
            Assert.Contains("review-01", rows[0].TextContent);
            Assert.Contains("pass", rows[0].TextContent);
            Assert.Contains("fail", rows[1].TextContent);
        }, Wait);
    }

    private static JobCandidate Candidate(Guid jobId, int index, double score, params ItemResult[] items) => new()
    {
        JobId = jobId,
        Iteration = 1,
        Index = index,
        MutationKind = "add_instruction",
        Template = $"Candidate {index}: {{{{review}}}} {{{{product}}}}",
        Score = score,
        MetricScores = new Dictionary<string, double> { ["exact_match"] = score },
        ItemResults = [.. items],
        EvaluatedAt = DateTime.UtcNow,
    };

    private async Task<List<int>> ItemIdsAsync(int count)
    {
        var (_, datasetId) = await DemoIdsAsync();
        await using var db = await Db.CreateDbContextAsync(Ct);
        return await db.DatasetItems.Where(i => i.DatasetId == datasetId).OrderBy(i => i.Id).Select(i => i.Id).Take(count).ToListAsync(Ct);
    }

    [Fact]
    public async Task AnEventAfterAGap_BringsTheMissedEventsFromTheStore()
    {
        var jobId = await SeedJobAsync(JobStatus.Running);
        var (page, _) = RenderPage<JobPage>(p => p.Add(x => x.Id, jobId));
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=event-row]").Count), Wait);

        // Stored but never published: a subscriber can miss events; the next one it does get shows the gap.
        var missed = await AppendEventsAsync(jobId, publish: false, Baseline(0.5));
        var next = await AppendEventsAsync(jobId, publish: true, (JobEventTypes.IterationStart, 1, new { iteration = 1, maxIterations = 10 }));

        page.WaitForAssertion(() =>
        {
            var ids = page.FindAll("[data-testid=event-row]").Select(r => long.Parse(r.GetAttribute("data-event-id")!)).ToList();
            Assert.Equal(Enumerable.Range(1, (int)next[0].Id).Reverse().Select(i => (long)i), ids);
        }, Wait);
        Assert.Equal(missed.Count + 3, page.FindAll("[data-testid=event-row]").Count);
        // The chart redraws at most twice a second, so it may follow the log a moment later.
        page.WaitForAssertion(() => Assert.Equal("1", page.Find("[data-testid=score-chart]").GetAttribute("data-points")), Wait);
    }

    [Fact]
    public async Task AnEventSeenTwice_IsShownOnce()
    {
        var jobId = await SeedJobAsync(JobStatus.Running);
        var (page, _) = RenderPage<JobPage>(p => p.Add(x => x.Id, jobId));
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=event-row]").Count), Wait);

        var events = await AppendEventsAsync(jobId, publish: true, (JobEventTypes.IterationStart, 0, new { iteration = 0, maxIterations = 10 }));
        Bus.Publish(events);
        Bus.Publish(events);

        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("[data-testid=event-row]").Count), Wait);
        var ids = page.FindAll("[data-testid=event-row]").Select(r => r.GetAttribute("data-event-id")).ToList();
        Assert.Equal(ids.Distinct().Count(), ids.Count);
    }

    [Fact]
    public async Task Cancel_AsksForConfirmation_AndOnlyACancelledJobLosesItsButtons()
    {
        var jobId = await SeedJobAsync(JobStatus.Paused);
        var (page, dialogs) = RenderPage<JobPage>(p => p.Add(x => x.Id, jobId));
        page.WaitForAssertion(() => Assert.True(IsEnabled(page, "cancel-button")), Wait);

        page.Find("[data-testid=cancel-button]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("Cancel this job?", dialogs.Markup), Wait);
        dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Keep it").Click();
        dialogs.WaitForAssertion(() => Assert.DoesNotContain("Cancel this job?", dialogs.Markup), Wait);
        Assert.Equal("paused", page.Find("[data-testid=job-state]").TextContent.Trim());

        page.Find("[data-testid=cancel-button]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("Cancel this job?", dialogs.Markup), Wait);
        dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel job").Click();

        page.WaitForAssertion(() => Assert.Equal("cancelled", page.Find("[data-testid=job-state]").TextContent.Trim()), Wait);
        Assert.False(IsEnabled(page, "pause-button"));
        Assert.False(IsEnabled(page, "resume-button"));
        Assert.False(IsEnabled(page, "cancel-button"));
        await using var db = await Db.CreateDbContextAsync(Ct);
        Assert.Equal(JobStatus.Cancelled, (await db.Jobs.SingleAsync(j => j.Id == jobId, Ct)).Status);
    }

    private static (string, int?, object) Baseline(double score) =>
        (JobEventTypes.IterationComplete, 0, new { iteration = 0, bestScore = score, iterationBestScore = score });

    private static bool IsEnabled(IRenderedComponent<JobPage> page, string testId) =>
        !page.Find($"[data-testid={testId}]").HasAttribute("disabled");

    /// <summary>Segments of the best-so-far line's SVG path ("M x y L x y …"), one fewer than its points; it is the last series drawn.</summary>
    private static int BestSoFarSegments(IRenderedComponent<JobPage> page)
    {
        var path = page.FindAll("[data-testid=score-chart] path.mud-chart-line")[^1].GetAttribute("d") ?? "";
        return path.Split(' ').Count(t => t == "L");
    }
}
