using PromptStudio.Core.Llm;

namespace PromptStudio.Web.Providers;

/// <summary>
/// An LLM endpoint a workspace configured. The API key is stored only encrypted with ASP.NET Core Data
/// Protection (<see cref="ApiKeyProtected"/>); <see cref="ApiKeyLast4"/> is all that is ever shown.
/// </summary>
public sealed class Provider
{
    public int Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public string Name { get; set; } = "";
    public string Kind { get; set; } = ProviderKinds.OpenAICompatible;
    public string BaseUrl { get; set; } = "";
    public string? ApiKeyProtected { get; set; }
    public string? ApiKeyLast4 { get; set; }
    public List<string> Models { get; set; } = [];
    public string? DefaultModel { get; set; }
    public int MaxConcurrency { get; set; } = ProviderDefaults.MaxConcurrency;
    public int RequestsPerMinute { get; set; } = ProviderDefaults.RequestsPerMinute;
    public Dictionary<string, ModelPrice> Prices { get; set; } = [];
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    public bool Serves(string model) => Models.Contains(model, StringComparer.Ordinal) || DefaultModel == model;
}

public static class ProviderDefaults
{
    public const int MaxConcurrency = 4;
    public const int RequestsPerMinute = 500;
}

/// <summary>One answer of the persisted LLM cache, keyed by a hash of (provider, model, parameters, rendered messages).</summary>
public sealed class LlmCacheEntry
{
    public string Key { get; set; } = "";
    public string Model { get; set; } = "";
    public string ResponseJson { get; set; } = "";
    public DateTime CreatedAt { get; set; }
}
