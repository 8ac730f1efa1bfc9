using Microsoft.EntityFrameworkCore;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Llm;
using PromptStudio.Core.Optimization;
using PromptStudio.Core.Prompts;
using PromptStudio.Web.Data;
using PromptStudio.Web.Providers;

namespace PromptStudio.Web.Jobs;

/// <summary>What an estimate reads from the database: the prompt, the dataset's items in id order, the workspace's providers.</summary>
public sealed record EstimateBasis(PromptText Prompt, IReadOnlyList<EvalItem> Items, IReadOnlyList<Provider> Providers);

/// <summary>
/// Pre-run estimates of calls, tokens and cost (<see cref="RunEstimator"/>). The API validates its request
/// exactly as a start; the new-job form reads the <see cref="EstimateBasis"/> once per prompt and dataset and
/// recomputes the estimate in memory as the user edits the configuration.
/// </summary>
public sealed class JobEstimator(IDbContextFactory<StudioDbContext> dbFactory)
{
    public async Task<JobEstimateDto> EstimateAsync(Guid workspaceId, StartOptimizationRequest request, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var start = await JobService.ValidateStartAsync(db, workspaceId, request, ct);
        var basis = new EstimateBasis(JobService.TextOf(start.Prompt), start.Dataset.Items.Select(i => i.ToEvalItem()).ToList(), await ProvidersAsync(db, workspaceId, ct));
        return Estimate(basis, start.Config, start.Warnings);
    }

    /// <summary>The basis for a prompt version and a dataset of the workspace, or null when either is not there.</summary>
    public async Task<EstimateBasis?> LoadBasisAsync(Guid workspaceId, int promptId, int datasetId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var prompt = await db.Prompts.AsNoTracking().FirstOrDefaultAsync(p => p.Id == promptId && p.WorkspaceId == workspaceId, ct);
        if (prompt is null || !await db.Datasets.AnyAsync(d => d.Id == datasetId && d.WorkspaceId == workspaceId, ct)) return null;
        var items = await db.DatasetItems.AsNoTracking().Where(i => i.DatasetId == datasetId).OrderBy(i => i.Id).ToListAsync(ct);
        return new EstimateBasis(JobService.TextOf(prompt), items.Select(i => i.ToEvalItem()).ToList(), await ProvidersAsync(db, workspaceId, ct));
    }

    /// <summary>The estimate of a valid configuration; prices come from the provider that serves each model.</summary>
    public static JobEstimateDto Estimate(EstimateBasis basis, OptimizationConfig config, IReadOnlyList<string> warnings)
    {
        var notes = new List<string>();
        var model = config.EffectiveModel;
        if (!config.DryRun)
        {
            model = ProviderRegistry.FindServing(basis.Providers, config.Model)?.Model ?? config.Model ?? "";
            var tuning = config.Tuning;
            foreach (var (role, name) in new[] { ("", model), ("mutation ", tuning.MutationModel), ("judge ", tuning.JudgeModel) })
            {
                if (name is null || ProviderRegistry.FindServing(basis.Providers, name) is not null) continue;
                notes.Add(name.Length == 0
                    ? "No provider in this workspace has a default model: set a model, or dryRun."
                    : $"No provider in this workspace serves the {role}model '{name}'.");
            }
        }

        var estimate = RunEstimator.Estimate(config, model, basis.Prompt, basis.Items, PriceOf);
        return new JobEstimateDto(
            estimate.Simulated, estimate.TrainItems, estimate.HeldOutItems, estimate.Iterations, estimate.TypicalIterations,
            ToDto(estimate.UpperBound), ToDto(estimate.Typical),
            estimate.Roles.Select(r => new RoleEstimateDto(r.Role, r.Model, r.Price?.InputPerMillion, r.Price?.OutputPerMillion, ToDto(r.UpperBound), ToDto(r.Typical))).ToList(),
            estimate.UnpricedModels, [.. notes, .. estimate.Notes], warnings);

        ModelPrice? PriceOf(string name) =>
            ProviderRegistry.FindServing(basis.Providers, name) is { } serving && serving.Provider.Prices.TryGetValue(name, out var price) ? price : null;
    }

    private static UsageEstimateDto ToDto(UsageEstimate u) => new(u.LlmCalls, u.InputTokens, u.OutputTokens, u.CostUsd);

    private static async Task<IReadOnlyList<Provider>> ProvidersAsync(StudioDbContext db, Guid workspaceId, CancellationToken ct) =>
        await db.Providers.AsNoTracking().Where(p => p.WorkspaceId == workspaceId).OrderBy(p => p.Id).ToListAsync(ct);
}
