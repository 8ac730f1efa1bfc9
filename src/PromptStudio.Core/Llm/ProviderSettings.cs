namespace PromptStudio.Core.Llm;

/// <summary>The wire names of the provider kinds a workspace can configure.</summary>
public static class ProviderKinds
{
    public const string OpenAI = "openai";
    public const string Anthropic = "anthropic";
    public const string AzureOpenAI = "azure-openai";
    public const string Ollama = "ollama";
    public const string OpenAICompatible = "openai-compatible";

    public static readonly IReadOnlyList<string> All = [OpenAI, Anthropic, AzureOpenAI, Ollama, OpenAICompatible];

    /// <summary>Where a provider of the kind answers when no base URL is given (null: the URL is required).</summary>
    public static string? DefaultBaseUrl(string kind) => kind switch
    {
        OpenAI => "https://api.openai.com/v1",
        Anthropic => "https://api.anthropic.com",
        Ollama => "http://localhost:11434",
        _ => null,
    };
}

/// <summary>US dollars per million tokens of one model.</summary>
public sealed record ModelPrice(decimal InputPerMillion, decimal OutputPerMillion)
{
    public decimal Cost(long inputTokens, long outputTokens) =>
        (inputTokens * InputPerMillion + outputTokens * OutputPerMillion) / 1_000_000m;
}

/// <summary>A provider as the LLM pipeline needs it, with its key in clear (it never leaves the process).</summary>
public sealed record ProviderSettings(
    int Id,
    string Name,
    string Kind,
    Uri BaseUrl,
    string? ApiKey,
    IReadOnlyList<string> Models,
    string? DefaultModel,
    int MaxConcurrency,
    int RequestsPerMinute,
    IReadOnlyDictionary<string, ModelPrice> Prices)
{
    public bool Serves(string model) =>
        Models.Contains(model, StringComparer.Ordinal) || string.Equals(DefaultModel, model, StringComparison.Ordinal);

    public decimal Cost(string? model, long inputTokens, long outputTokens) =>
        model is not null && Prices.TryGetValue(model, out var price) ? price.Cost(inputTokens, outputTokens) : 0m;
}

/// <summary>Instance-wide settings of the LLM pipeline (configuration section <c>Providers</c>).</summary>
public sealed class LlmPipelineOptions
{
    /// <summary>Lets provider URLs reach loopback and private ranges (a local Ollama). Metadata addresses stay refused.</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>How long one HTTP attempt may take; LLM answers can be slow.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Retries after the first attempt on 429, 5xx, timeouts and network errors.</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>First backoff delay; it doubles with jitter, unless the provider sent Retry-After.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The window of <c>requestsPerMinute</c>; a minute, shorter only in tests.</summary>
    public TimeSpan RateWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Share of failed attempts within <see cref="CircuitBreakerSampling"/> that opens the circuit.</summary>
    public double CircuitBreakerFailureRatio { get; set; } = 0.5;

    public TimeSpan CircuitBreakerSampling { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan CircuitBreakerBreak { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>At least this many attempts in the sampling window before the circuit may open.</summary>
    public int CircuitBreakerMinimumThroughput { get; set; } = 20;
}
