using System.Collections.Concurrent;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Llm;
using PromptStudio.Core.Metrics;
using PromptStudio.Core.Optimization;
using PromptStudio.Web.Data;
using PromptStudio.Web.Jobs;

namespace PromptStudio.Web.Providers;

/// <summary>
/// The live side of providers: one <see cref="ProviderRuntime"/> per provider (its HTTP client, limits and
/// circuit breaker), shared by every job on this instance, rebuilt when the provider is edited. It also
/// picks the provider that serves a job's model and builds the job's real optimizer.
/// </summary>
public sealed class ProviderRegistry(
    IDataProtectionProvider dataProtection,
    IDbContextFactory<StudioDbContext> dbFactory,
    ILlmResponseCache cache,
    IOptions<LlmPipelineOptions> options,
    IEmbeddingGenerator<string, Embedding<float>>? embedder = null,
    ISharedProviderLimits? sharedLimits = null)
{
    private readonly ConcurrentDictionary<int, (DateTime Stamp, Guid Workspace, ProviderRuntime Runtime)> _runtimes = new();

    public ProviderRuntime Runtime(Provider provider)
    {
        if (_runtimes.TryGetValue(provider.Id, out var known) && known.Stamp == provider.UpdatedAt) return known.Runtime;
        var settings = Settings(provider);
        // With several nodes the limits hold across all of them; the row's creation time keeps a re-created id apart.
        var shared = sharedLimits?.For($"{provider.WorkspaceId:N}:{provider.Id}:{provider.CreatedAt.Ticks}", settings, options.Value.RateWindow);
        var runtime = new ProviderRuntime(settings, options.Value, shared);
        // A replaced runtime is not disposed: a running job may still be using it; its idle connections close on their own.
        _runtimes[provider.Id] = (provider.UpdatedAt, provider.WorkspaceId, runtime);
        return runtime;
    }

    public void Forget(int providerId) => _runtimes.TryRemove(providerId, out _);

    /// <summary>
    /// Why a running job is held up, when the provider serving its model has calls waiting for a concurrency
    /// slot or a request token right now; null when it is not saturated (or the job runs dryRun).
    /// </summary>
    public string? SaturationReason(Guid workspaceId, string configJson)
    {
        var model = System.Text.Json.JsonSerializer.Deserialize<Client.OptimizationConfigDto>(configJson, JobMapping.Json)?.Model;
        if (model is null) return null;
        foreach (var (_, (_, workspace, runtime)) in _runtimes)
        {
            var settings = runtime.Settings;
            if (workspace != workspaceId || !settings.Serves(model) || runtime.Limiter.Waiting == 0) continue;
            var limit = settings.RequestsPerMinute > 0 ? $"{settings.MaxConcurrency} concurrent requests and {settings.RequestsPerMinute} requests per minute" : $"{settings.MaxConcurrency} concurrent requests";
            return $"Waiting for provider '{settings.Name}': it is saturated ({runtime.Limiter.Waiting} calls queued behind its limit of {limit}).";
        }
        return null;
    }

    private ProviderSettings Settings(Provider p)
    {
        var key = p.ApiKeyProtected is null ? null : dataProtection.CreateProtector(ProviderService.ProtectorPurpose).Unprotect(p.ApiKeyProtected);
        return new ProviderSettings(p.Id, p.Name, p.Kind, new Uri(p.BaseUrl), key, p.Models, p.DefaultModel,
            p.MaxConcurrency, p.RequestsPerMinute, p.Prices);
    }

    /// <summary>
    /// The workspace's provider that serves <paramref name="model"/> (oldest first); without a model, the
    /// workspace default: the default model of its oldest provider that has one.
    /// </summary>
    public static async Task<(Provider Provider, string Model)?> FindServingAsync(StudioDbContext db, Guid workspaceId, string? model, CancellationToken ct)
    {
        var providers = await db.Providers.AsNoTracking().Where(p => p.WorkspaceId == workspaceId).OrderBy(p => p.Id).ToListAsync(ct);
        return FindServing(providers, model);
    }

    /// <summary><see cref="FindServingAsync"/> over providers already read, oldest first.</summary>
    public static (Provider Provider, string Model)? FindServing(IReadOnlyList<Provider> providers, string? model)
    {
        if (model is null)
        {
            var fallback = providers.FirstOrDefault(p => p.DefaultModel is not null);
            return fallback is null ? null : (fallback, fallback.DefaultModel!);
        }
        var serving = providers.FirstOrDefault(p => p.Serves(model));
        return serving is null ? null : (serving, model);
    }

    /// <summary>The optimizer of a non-dryRun job: the model under test, the mutation model and the judge, each through its provider's pipeline.</summary>
    public async Task<Optimizer> CreateOptimizerAsync(OptimizationJob job, OptimizationConfig config, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var tuning = config.Tuning;
        // The budget counts what the job spent before a pause or restart.
        var meter = new UsageMeter(job.LlmCalls, job.CostUsd, tuning.MaxLlmCalls, tuning.MaxCostUsd is { } max ? (decimal)max : null);

        async Task<(IChatClient Chat, string Model)> ChatFor(string? model, string role)
        {
            var found = await FindServingAsync(db, job.WorkspaceId, model, ct)
                ?? throw new InvalidOperationException($"No provider in this workspace serves the {role} model '{model}'.");
            return (LlmPipeline.For(Runtime(found.Provider), found.Model, cache, meter), found.Model);
        }

        var (chat, model) = await ChatFor(config.Model, "evaluation");
        var mutation = tuning.MutationModel is { } m ? (await ChatFor(m, "mutation")).Chat : chat;
        var judge = tuning.JudgeModel is { } j ? (await ChatFor(j, "judge")).Chat : chat;
        var scorer = new MetricScorer(tuning.EvaluationMetrics, judge, embedder);
        var evaluator = new CandidateEvaluator(chat, model, scorer, tuning.Concurrency, tuning.MaxFailedItemRatio, tuning.Temperature);
        return new Optimizer(new LlmProposer(mutation), evaluator);
    }
}
