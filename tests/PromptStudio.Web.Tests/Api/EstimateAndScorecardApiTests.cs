using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Tests.Infrastructure;

namespace PromptStudio.Web.Tests.Api;

[Trait(Suites.Trait, Suites.Api)]
public sealed class EstimateAndScorecardApiTests : IAsyncLifetime
{
    private const int DemoItems = 16;
    private readonly StudioFactory _factory = new();
    private HttpClient _http = null!;

    public async ValueTask InitializeAsync() => _http = await _factory.CreateOwnerClientAsync();

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Estimate_OfADryRun_CountsTheCalls_IsSimulatedAtNoCost_AndStartsNothing()
    {
        var config = new OptimizationConfigDto(4, null, 2, null, true, Configs.Tuning(("candidatesPerIteration", 2), ("validationSplit", 0.25)));

        var response = await _http.PostAsJsonAsync("/api/optimization/estimate", new StartOptimizationRequest(1, 1, config), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var estimate = (await response.Content.ReadFromJsonAsync<JobEstimateDto>(Ct))!;
        Assert.True(estimate.Simulated);
        Assert.Equal((12, 4), (estimate.TrainItems, estimate.HeldOutItems));
        // 12 baseline calls, 4 iterations of 2 mutations and 2 x 12 item calls, the baseline and the best on the 4 held-out items.
        Assert.Equal(12 + 4 * (2 + 2 * 12) + 2 * 4, estimate.UpperBound.LlmCalls);
        // Patience 2: typically (4 + 1) / 2 + 2 = 4 iterations, the whole run.
        Assert.Equal(4, estimate.TypicalIterations);
        Assert.Equal(0m, estimate.UpperBound.CostUsd);
        Assert.Equal(["evaluation", "mutation"], estimate.Roles.Select(r => r.Role));
        Assert.Contains(estimate.Notes, n => n.StartsWith("Simulated: no cost", StringComparison.Ordinal));
        Assert.Empty((await _http.GetFromJsonAsync<List<JobDto>>("/api/optimization", Ct))!);
    }

    [Theory]
    [InlineData("{\"promptId\":1,\"datasetId\":1,\"config\":{\"dryRun\":true,\"maxIterations\":101}}", "config.maxIterations", "between 1 and 100")]
    [InlineData("{\"promptId\":1,\"datasetId\":1,\"config\":{\"dryRun\":true,\"tuningParams\":{\"evaluationMetrics\":[{\"type\":\"contains\",\"threshold\":2}]}}}", "config.tuningParams.evaluationMetrics[0].threshold", "between 0 and 1 (got 2)")]
    [InlineData("{\"promptId\":99,\"datasetId\":1,\"config\":{\"dryRun\":true}}", "promptId", "not found")]
    [InlineData("{\"promptId\":1,\"datasetId\":1,\"config\":{\"model\":\"gpt-x\"}}", "config.model", "gpt-x")]
    public async Task Estimate_IsValidatedLikeAStart_NamingTheFieldAndRule(string body, string field, string rule)
    {
        var response = await _http.PostAsync("/api/optimization/estimate", new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        var messages = problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(m => m.GetString()!);
        Assert.Contains(messages, m => m.Contains(rule, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Results_CarryAScorecard_PerCandidate_PerIteration_AndForTheBestPrompt()
    {
        var metrics = new object[] { "exact_match", new { type = "contains", threshold = 0.5 } };
        var config = new OptimizationConfigDto(3, null, null, null, true, Configs.Tuning(("seed", 5), ("simulatedLatencyMs", 0), ("evaluationMetrics", metrics)));
        var job = await _http.StartJobAsync(config: config);
        await _http.WaitForStatusAsync(job.Id, "completed");

        var results = (await _http.GetFromJsonAsync<JobResultsDto>($"/api/optimization/{job.Id}/results?items=true", Ct))!;

        var evaluated = results.Iterations.SelectMany(i => i.Candidates).Where(c => c.Score is not null).ToList();
        Assert.NotEmpty(evaluated);
        foreach (var c in evaluated)
        {
            var card = c.Scorecard!;
            Assert.Equal(["exact_match", "contains"], card.Select(m => m.Metric));
            Assert.Equal([1.0, 0.5], card.Select(m => m.Threshold));
            foreach (var m in card)
            {
                // The average is the per-metric score; the pass rate counts the items at or above the threshold.
                Assert.Equal(c.MetricScores![m.Metric], m.Average, 9);
                Assert.Equal(DemoItems, m.Items);
                Assert.Equal(c.Items!.Count(i => i.Error is null && i.MetricScores[m.Metric] >= m.Threshold), m.Passed);
                Assert.Equal((double)m.Passed / m.Items, m.PassRate, 9);
            }
        }
        foreach (var iteration in results.Iterations.Where(i => i.Candidates.Any(c => c.Score is not null)))
        {
            var top = iteration.Candidates.Where(c => c.Score is not null).OrderByDescending(c => c.Score).ThenBy(c => c.Index).First();
            Assert.Equal(top.Index, iteration.BestIndex);
            Assert.Equal(top.Scorecard, iteration.Scorecard);
        }
        Assert.Equal(evaluated.Single(c => c.IsBest).Scorecard, results.BestScorecard);

        var withoutItems = (await _http.GetFromJsonAsync<JobResultsDto>($"/api/optimization/{job.Id}/results", Ct))!;
        Assert.All(withoutItems.Iterations.SelectMany(i => i.Candidates), c => Assert.Null(c.Items));
        Assert.Equal(results.BestScorecard, withoutItems.BestScorecard);

        var completions = (await _http.GetEventsAsync(job.Id)).Where(e => e.Type == JobEventTypes.EvaluationComplete).ToList();
        Assert.All(completions, e => Assert.Equal(
            ["exact_match", "contains"],
            e.Data.GetProperty("scorecard").EnumerateArray().Select(m => m.GetProperty("metric").GetString())));
    }
}
