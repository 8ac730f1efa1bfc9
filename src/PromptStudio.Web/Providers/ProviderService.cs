using System.Diagnostics;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Llm;
using PromptStudio.Web.Api;
using PromptStudio.Web.Data;
using PromptStudio.Web.Jobs;

namespace PromptStudio.Web.Providers;

/// <summary>
/// Creating, changing and testing a workspace's providers, shared by the REST API and the settings page.
/// The API key is encrypted before it is stored and never leaves this class in clear except to the pipeline.
/// </summary>
public sealed class ProviderService(
    IDbContextFactory<StudioDbContext> dbFactory,
    IDataProtectionProvider dataProtection,
    ProviderRegistry registry,
    IOptions<LlmPipelineOptions> options,
    TimeProvider time)
{
    public const string ProtectorPurpose = "PromptStudio.Providers.ApiKey.v1";
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    private IDataProtector Protector => dataProtection.CreateProtector(ProtectorPurpose);

    public async Task<IReadOnlyList<ProviderDto>> ListAsync(Guid workspaceId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Providers.AsNoTracking().Where(p => p.WorkspaceId == workspaceId).OrderBy(p => p.Id).ToListAsync(ct);
        return rows.Select(ToDto).ToList();
    }

    public async Task<ProviderDto> GetAsync(Guid workspaceId, int id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return ToDto(await FindAsync(db, workspaceId, id, ct));
    }

    public async Task<ProviderDto> CreateAsync(Guid workspaceId, SaveProviderRequest request, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var provider = new Provider { WorkspaceId = workspaceId, CreatedAt = now };
        await ApplyAsync(db, provider, request, isNew: true, ct);
        provider.UpdatedAt = now;
        db.Providers.Add(provider);
        await db.SaveChangesAsync(ct);
        return ToDto(provider);
    }

    public async Task<ProviderDto> UpdateAsync(Guid workspaceId, int id, SaveProviderRequest request, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var provider = await FindAsync(db, workspaceId, id, ct, tracking: true);
        await ApplyAsync(db, provider, request, isNew: false, ct);
        provider.UpdatedAt = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        registry.Forget(provider.Id);
        return ToDto(provider);
    }

    public async Task DeleteAsync(Guid workspaceId, int id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var provider = await FindAsync(db, workspaceId, id, ct, tracking: true);
        db.Providers.Remove(provider);
        await db.SaveChangesAsync(ct);
        registry.Forget(id);
    }

    /// <summary>One tiny real call through the provider's limits and retries; the outcome in words, never an exception.</summary>
    public async Task<ProviderTestResultDto> TestAsync(Guid workspaceId, int id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var provider = await FindAsync(db, workspaceId, id, ct);
        var model = provider.DefaultModel ?? provider.Models.FirstOrDefault();
        if (model is null) return new ProviderTestResultDto(false, "The provider has no model to call; add one.", null, null, 0);

        var clock = Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TestTimeout);
        try
        {
            var chat = registry.Runtime(provider).ChatClient(model);
            var response = await chat.GetResponseAsync(
                [new ChatMessage(ChatRole.User, "Reply with the single word: pong")],
                new ChatOptions { ModelId = model, MaxOutputTokens = 5, Temperature = 0 }, timeout.Token);
            var reply = (response.Text ?? "").Trim();
            if (reply.Length > 40) reply = reply[..40] + "…";
            return new ProviderTestResultDto(true,
                $"Connected: {model} at {provider.BaseUrl} answered \"{reply}\" in {clock.ElapsedMilliseconds} ms.", model, 200, clock.ElapsedMilliseconds);
        }
        catch (LlmProviderException e)
        {
            var hint = e.StatusCode switch
            {
                401 => " Check the API key.",
                403 => " The key has no access to this model or endpoint.",
                404 => $" Check the base URL and that the model '{model}' exists.",
                429 => " The provider is rate limiting; try again later or lower requestsPerMinute.",
                _ => "",
            };
            return new ProviderTestResultDto(false, $"The provider refused the call: {e.StatusCode} — {e.ProviderMessage}.{hint}", model, e.StatusCode, clock.ElapsedMilliseconds);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ProviderTestResultDto(false, $"No answer from {provider.BaseUrl} within {TestTimeout.TotalSeconds:0} seconds.", model, null, clock.ElapsedMilliseconds);
        }
        catch (HttpRequestException e) when (e.InnerException is BlockedAddressException blocked)
        {
            return new ProviderTestResultDto(false, blocked.Message, model, null, clock.ElapsedMilliseconds);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var detail = e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message;
            return new ProviderTestResultDto(false, $"Could not complete a call to {provider.BaseUrl}: {detail}", model, null, clock.ElapsedMilliseconds);
        }
    }

    private async Task ApplyAsync(StudioDbContext db, Provider provider, SaveProviderRequest request, bool isNew, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 100) errors.Add("name", "name is required and must be at most 100 characters.");
        else if (await db.Providers.AnyAsync(p => p.WorkspaceId == provider.WorkspaceId && p.Name == name && p.Id != provider.Id, ct))
            errors.Add("name", $"A provider named '{name}' already exists in this workspace.");

        var kind = request.Kind?.Trim().ToLowerInvariant();
        if (kind is null || !ProviderKinds.All.Contains(kind))
        {
            errors.Add("kind", $"kind must be one of {string.Join(", ", ProviderKinds.All)} (got '{request.Kind}').");
            kind = null;
        }

        Uri? checkUrl = null;
        var baseUrl = string.IsNullOrWhiteSpace(request.BaseUrl) ? (kind is null ? null : ProviderKinds.DefaultBaseUrl(kind)) : request.BaseUrl.Trim();
        if (baseUrl is null)
        {
            if (kind is not null) errors.Add("baseUrl", $"baseUrl is required for a provider of kind {kind}.");
        }
        else if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(url.UserInfo))
            errors.Add("baseUrl", $"baseUrl must be an absolute http or https URL without credentials (got '{baseUrl}').");
        else checkUrl = url;

        var models = (request.Models ?? []).Select(m => m?.Trim() ?? "").ToList();
        if (models.Any(m => m.Length is 0 or > 200)) errors.Add("models", "each model must be a non-empty name of at most 200 characters.");
        var defaultModel = string.IsNullOrWhiteSpace(request.DefaultModel) ? null : request.DefaultModel.Trim();
        if (defaultModel is not null && !models.Contains(defaultModel)) models.Insert(0, defaultModel);
        models = models.Where(m => m.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (models.Count == 0) errors.Add("models", "list at least one model the provider serves (or a defaultModel).");

        var maxConcurrency = request.MaxConcurrency ?? (isNew ? ProviderDefaults.MaxConcurrency : provider.MaxConcurrency);
        if (maxConcurrency is < 1 or > 256) errors.Add("maxConcurrency", $"maxConcurrency must be between 1 and 256 (got {maxConcurrency}).");
        var rpm = request.RequestsPerMinute ?? (isNew ? ProviderDefaults.RequestsPerMinute : provider.RequestsPerMinute);
        if (rpm is < 0 or > 1_000_000) errors.Add("requestsPerMinute", $"requestsPerMinute must be between 0 (no limit) and 1000000 (got {rpm}).");

        var prices = new Dictionary<string, ModelPrice>(StringComparer.Ordinal);
        foreach (var (model, price) in request.Prices ?? [])
        {
            if (price is null || price.InputPerMillion < 0 || price.OutputPerMillion < 0)
                errors.Add($"prices.{model}", "prices are US dollars per million tokens: inputPerMillion and outputPerMillion, 0 or more.");
            else prices[model] = new ModelPrice(price.InputPerMillion, price.OutputPerMillion);
        }

        var apiKey = request.ApiKey?.Trim();
        var keyRequired = kind is ProviderKinds.OpenAI or ProviderKinds.Anthropic or ProviderKinds.AzureOpenAI;
        var willHaveKey = apiKey is null ? !isNew && provider.ApiKeyProtected is not null : apiKey.Length > 0;
        if (keyRequired && !willHaveKey) errors.Add("apiKey", $"apiKey is required for a provider of kind {kind}.");

        // Resolving the host is the slow part: only once everything else is valid.
        if (errors.IsEmpty && checkUrl is not null && await OutboundAddressPolicy.CheckUrlAsync(checkUrl, options.Value.AllowPrivateNetworks, ct) is { } refusal)
            errors.Add("baseUrl", $"baseUrl is not allowed: {refusal}");
        if (!errors.IsEmpty) throw new DomainValidationException(errors);

        provider.Name = name!;
        provider.Kind = kind!;
        provider.BaseUrl = baseUrl!;
        provider.Models = models;
        provider.DefaultModel = defaultModel;
        provider.MaxConcurrency = maxConcurrency;
        provider.RequestsPerMinute = rpm;
        provider.Prices = request.Prices is null && !isNew ? provider.Prices : prices;
        if (apiKey is not null)
        {
            provider.ApiKeyProtected = apiKey.Length == 0 ? null : Protector.Protect(apiKey);
            provider.ApiKeyLast4 = apiKey.Length == 0 ? null : apiKey[^Math.Min(4, apiKey.Length)..];
        }
    }

    private static async Task<Provider> FindAsync(StudioDbContext db, Guid workspaceId, int id, CancellationToken ct, bool tracking = false)
    {
        var query = tracking ? db.Providers : db.Providers.AsNoTracking();
        return await query.FirstOrDefaultAsync(p => p.Id == id && p.WorkspaceId == workspaceId, ct)
            ?? throw new NotFoundException("Provider", id);
    }

    public static ProviderDto ToDto(Provider p) => new(
        p.Id, p.Name, p.Kind, p.BaseUrl, p.ApiKeyProtected is not null, p.ApiKeyLast4, p.Models, p.DefaultModel,
        p.MaxConcurrency, p.RequestsPerMinute,
        p.Prices.ToDictionary(kv => kv.Key, kv => new ModelPriceDto(kv.Value.InputPerMillion, kv.Value.OutputPerMillion)),
        JobMapping.AsOffset(p.CreatedAt), JobMapping.AsOffset(p.UpdatedAt));
}
