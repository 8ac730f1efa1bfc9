using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Metrics;
using PromptStudio.Core.Optimization;
using PromptStudio.Web.Data;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Tests.Infrastructure;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Tests.Jobs;

[Trait(Suites.Trait, Suites.Engine)]
public sealed class JobResultsTests : IAsyncLifetime
{
    private readonly StudioFactory _factory = new(workers: 1);

    public async ValueTask InitializeAsync() => await _factory.CreateOwnerClientAsync();

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    private JobService Jobs => _factory.Service<JobService>();

    /// <summary>
    /// Measurement for the review of GetResultsAsync, not a pass/fail test: with PROMPTSTUDIO_BENCH=1 it times
    /// the job page's once-a-second read (items=false) and the full read on 20 iterations x 3 candidates x 50 items.
    /// </summary>
    [Fact]
    public async Task Benchmark_ResultsRead_OnTwentyIterationsOfThreeCandidatesOfFiftyItems()
    {
        Assert.SkipUnless(Environment.GetEnvironmentVariable("PROMPTSTUDIO_BENCH") == "1", "Set PROMPTSTUDIO_BENCH=1 to time the results read.");
        var jobId = await SeedFinishedJobAsync(iterations: 20, candidates: 3, items: 50);
        var ct = TestContext.Current.CancellationToken;

        var lines = new List<string>();
        foreach (var items in new[] { false, true })
        {
            for (var i = 0; i < 5; i++) await Jobs.GetResultsAsync(DefaultWorkspace.Id, jobId, items, ct);
            var times = new List<double>();
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var total = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < 30; i++)
            {
                var watch = Stopwatch.StartNew();
                await Jobs.GetResultsAsync(DefaultWorkspace.Id, jobId, items, ct);
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
            var perCall = (GC.GetTotalAllocatedBytes(precise: true) - total) / 30.0;
            times.Sort();
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"items={items}: median {times[15]:0.00} ms, p90 {times[27]:0.00} ms, min {times[0]:0.00} ms, allocated {perCall / 1024 / 1024:0.00} MB per read"));
        }
        var report = string.Join(Environment.NewLine, lines);
        TestContext.Current.SendDiagnosticMessage(report);
        var path = Path.Combine(AppContext.BaseDirectory, "results-read-benchmark.txt");
        await File.WriteAllTextAsync(path, report, ct);
    }

    [Fact]
    public async Task Results_WithoutItems_NeverReadTheItemResults()
    {
        var jobId = await SeedFinishedJobAsync(iterations: 2, candidates: 2, items: 3);
        await using (var db = await _factory.Service<IDbContextFactory<StudioDbContext>>().CreateDbContextAsync())
        {
            // Unreadable item results (this database holds no other job): any read of the column would fail to deserialize them.
            await db.Database.ExecuteSqlRawAsync("""UPDATE "JobCandidates" SET "ItemResults" = 'not json'""", TestContext.Current.CancellationToken);
        }

        var results = await Jobs.GetResultsAsync(DefaultWorkspace.Id, jobId, includeItems: false, TestContext.Current.CancellationToken);

        Assert.Equal(5, results.Iterations.Sum(i => i.Candidates.Count));
        Assert.All(results.Iterations.SelectMany(i => i.Candidates), c => Assert.NotNull(c.Scorecard));
        Assert.NotNull(results.BestScorecard);
        await Assert.ThrowsAnyAsync<JsonException>(() => Jobs.GetResultsAsync(DefaultWorkspace.Id, jobId, includeItems: true, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Results_ComputeTheScorecard_OfCandidatesStoredBeforeScorecardsWere()
    {
        var jobId = await SeedFinishedJobAsync(iterations: 1, candidates: 1, items: 4, withScorecard: false);

        var results = await Jobs.GetResultsAsync(DefaultWorkspace.Id, jobId, includeItems: false, TestContext.Current.CancellationToken);

        // Items 1 and 3 match exactly; contains gives every item 1. The job's config has the default metric only:
        // exact_match, so contains (not a metric of this job) is not on the card.
        var expected = new MetricScorecardDto("exact_match", "exact_match", 1, 0.5, 0.5, 2, 4);
        Assert.All(results.Iterations.SelectMany(i => i.Candidates), c => Assert.Equal([expected], c.Scorecard!));
        Assert.Equal([expected], results.Iterations[1].Scorecard!);
    }

    /// <summary>A completed job with every candidate evaluated on every item, written the way the checkpoint writes it.</summary>
    private async Task<Guid> SeedFinishedJobAsync(int iterations, int candidates, int items, bool withScorecard = true)
    {
        await using var db = await _factory.Service<IDbContextFactory<StudioDbContext>>().CreateDbContextAsync();
        var prompt = await db.Prompts.FirstAsync();
        var dataset = await db.Datasets.FirstAsync();
        var now = DateTime.UtcNow;
        var config = new OptimizationConfigDto(MaxIterations: iterations, Model: OptimizationConfig.SimulatedModel, DryRun: true);
        var job = OptimizationJob.Create(DefaultWorkspace.Id, prompt.Id, dataset.Id, JsonSerializer.Serialize(config, JobMapping.Json), iterations, [], "bench", now);
        db.Jobs.Add(job);
        for (var iteration = 0; iteration <= iterations; iteration++)
        {
            db.JobIterations.Add(new JobIteration { JobId = job.Id, Iteration = iteration, Completed = true, BestScore = 0.5, StartedAt = now, CompletedAt = now });
            for (var index = iteration == 0 ? 0 : 1; index <= (iteration == 0 ? 0 : candidates); index++)
            {
                var results = Enumerable.Range(1, items).Select(i => new ItemResult(
                    i, $"An answer of about a hundred characters for item {i}, the way a model writes it, with a little chatter.",
                    i % 2, new Dictionary<string, double> { ["exact_match"] = i % 2, ["contains"] = 1 },
                    Reasoning: i % 3 == 0 ? null : "The judge explains its rating in a couple of sentences here, which is what an llm_judge metric stores per item.")).ToList();
                db.JobCandidates.Add(new JobCandidate
                {
                    JobId = job.Id, Iteration = iteration, Index = index, MutationKind = iteration == 0 ? MutationKinds.Baseline : MutationKinds.Paraphrase,
                    Template = prompt.Template + new string('!', index), Score = 0.5,
                    MetricScores = new() { ["exact_match"] = 0.5, ["contains"] = 1 }, ItemResults = results, EvaluatedAt = now,
                    Scorecard = withScorecard ? [.. Scorecard.Compute([new(MetricSpec.ExactMatch), new(MetricSpec.Contains)], results)] : null,
                });
            }
        }
        await db.SaveChangesAsync();
        return job.Id;
    }
}
