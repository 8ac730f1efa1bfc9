using System.Net.Http.Json;
using System.Text.Json;
using PromptStudio.Client;
using PromptStudio.Web.Tests.Infrastructure;
using Xunit;

namespace PromptStudio.Web.Tests.Providers;

/// <summary>The pre-run estimate against a real provider's price table, and against what a real run then spends.</summary>
[Trait(Suites.Trait, Suites.Api)]
public sealed class EstimateTests : FakeServerTestBase
{
    protected override FakeReply DefaultReply(FakeCall call) => ProvidersTestApp.CapitalsScript(call);

    private async Task<JobEstimateDto> EstimateAsync(int promptId, int datasetId, object tuning)
    {
        var tuningJson = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(JsonSerializer.Serialize(tuning, ProvidersTestApp.Json), ProvidersTestApp.Json);
        var config = new OptimizationConfigDto(2, null, null, ProvidersTestApp.Model, false, tuningJson);
        var response = await App.CreateClient().PostAsJsonAsync("/api/optimization/estimate", new StartOptimizationRequest(promptId, datasetId, config), ProvidersTestApp.Json, Ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JobEstimateDto>(ProvidersTestApp.Json, Ct))!;
    }

    [Fact]
    public async Task Estimate_PricesEveryRole_AndARunWithoutEarlyStopSpendsExactlyItsUpperBoundOfCalls()
    {
        await App.CreateProviderAsync(Server);
        var (promptId, datasetId) = await App.CreateCapitalsAsync();

        var estimate = await EstimateAsync(promptId, datasetId, new { candidatesPerIteration = 1 });

        Assert.False(estimate.Simulated);
        // 6 baseline calls, then 2 iterations of one mutation and one candidate on the 6 items.
        Assert.Equal(6 + 2 * (1 + 6), estimate.UpperBound.LlmCalls);
        var evaluation = estimate.Roles.Single(r => r.Role == "evaluation");
        Assert.Equal((ProvidersTestApp.Model, 1.5m, 6m), (evaluation.Model, evaluation.InputPerMillion, evaluation.OutputPerMillion));
        Assert.Equal((evaluation.UpperBound.InputTokens * 1.5m + evaluation.UpperBound.OutputTokens * 6m) / 1_000_000m, evaluation.UpperBound.CostUsd);
        Assert.Equal(estimate.Roles.Sum(r => r.UpperBound.CostUsd), estimate.UpperBound.CostUsd);
        Assert.True(estimate.Typical.CostUsd < estimate.UpperBound.CostUsd);

        var job = await App.StartJobAsync(promptId, datasetId, new { candidatesPerIteration = 1 }, maxIterations: 2, targetScore: null);
        job = await App.WaitUntilFinishedAsync(job.Id);

        Assert.Equal(("completed", "max_iterations"), (job.Status, job.StopReason));
        Assert.Equal(estimate.UpperBound.LlmCalls, job.Usage.LlmCalls);
    }

    [Fact]
    public async Task Estimate_LeavesTheCostUnknown_WhenAModelHasNoProviderOrPrice_AndSaysWhich()
    {
        await App.CreateProviderAsync(Server);
        var (promptId, datasetId) = await App.CreateCapitalsAsync();

        var estimate = await EstimateAsync(promptId, datasetId, new { judgeModel = "judge-x", evaluationMetrics = new[] { "llm_judge" } });

        Assert.Null(estimate.UpperBound.CostUsd);
        Assert.Equal(["judge-x"], estimate.UnpricedModels);
        var judge = estimate.Roles.Single(r => r.Role == "judge");
        Assert.Equal(("judge-x", (decimal?)null), (judge.Model, judge.UpperBound.CostUsd));
        Assert.Contains("No provider in this workspace serves the judge model 'judge-x'.", estimate.Notes);
        Assert.Contains("No price is known for the model 'judge-x': the cost is unknown.", estimate.Notes);
    }
}
