using Bunit;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Metrics;
using PromptStudio.Web.Components.Pages.Jobs;
using PromptStudio.Web.Jobs;
using Xunit;

namespace PromptStudio.Web.Tests.Components;

public sealed class JobScorecardTests : StudioComponentTest
{
    private static JobCandidate Candidate(Guid jobId, int iteration, int index, double exact, double contains, int items = 4) => new()
    {
        JobId = jobId,
        Iteration = iteration,
        Index = index,
        MutationKind = iteration == 0 ? "baseline" : "add_instruction",
        Template = $"Candidate {iteration}.{index}: {{{{review}}}} {{{{product}}}}",
        Score = (exact + contains) / 2,
        MetricScores = new Dictionary<string, double> { ["exact_match"] = exact, ["contains"] = contains },
        Scorecard =
        [
            new MetricScorecard("exact_match", "exact_match", 1, exact, exact, (int)(exact * items), items),
            new MetricScorecard("contains", "contains", 0.5, contains, 1, items, items),
        ],
        EvaluatedAt = DateTime.UtcNow,
    };

    [Fact]
    public async Task JobPage_ShowsTheBestPromptsScorecard_AndEachCandidatesAverageAndPassRatePerMetric()
    {
        var jobId = await SeedJobAsync(JobStatus.Completed);
        await using (var db = await Db.CreateDbContextAsync(Ct))
        {
            db.JobIterations.AddRange(
                new JobIteration { JobId = jobId, Iteration = 0, Completed = true, BestScore = 0.5, StartedAt = DateTime.UtcNow },
                new JobIteration { JobId = jobId, Iteration = 1, Completed = true, BestScore = 0.75, StartedAt = DateTime.UtcNow });
            db.JobCandidates.AddRange(Candidate(jobId, 0, 0, exact: 0.25, contains: 0.75), Candidate(jobId, 1, 1, exact: 0.75, contains: 0.75), Candidate(jobId, 1, 2, exact: 0.5, contains: 0.5));
            await db.SaveChangesAsync(Ct);
        }

        var (page, _) = RenderPage<JobPage>(p => p.Add(x => x.Id, jobId));

        page.WaitForAssertion(() =>
        {
            // The best prompt is candidate 1 of iteration 1.
            var rows = page.FindAll("[data-testid=scorecard] [data-testid=scorecard-row]");
            Assert.Equal(["exact_match", "contains"], rows.Select(r => r.GetAttribute("data-metric")));
            Assert.Equal("0.750", rows[0].QuerySelector("[data-testid=scorecard-average]")!.TextContent);
            Assert.Equal("75 %", rows[0].QuerySelector("[data-testid=scorecard-pass-rate]")!.TextContent);
            Assert.Contains("3 of 4", rows[0].TextContent);
            Assert.Equal("100 %", rows[1].QuerySelector("[data-testid=scorecard-pass-rate]")!.TextContent);
        }, Wait);

        var headers = page.FindAll("[data-testid=iteration-table] thead th").Select(h => h.TextContent.Trim()).ToList();
        Assert.Contains("exact_match avg", headers);
        Assert.Contains("contains pass", headers);
        var baseline = page.Find("[data-testid=candidate-row][data-iteration='0']");
        Assert.Equal(["0.250", "0.750"], baseline.QuerySelectorAll("[data-testid=metric-average]").Select(c => c.TextContent));
        Assert.Equal(["25 %", "100 %"], baseline.QuerySelectorAll("[data-testid=metric-pass-rate]").Select(c => c.TextContent));
    }
}
