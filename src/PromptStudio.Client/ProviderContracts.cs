namespace PromptStudio.Client;

/// <summary>US dollars per million input and output tokens of one model.</summary>
public sealed record ModelPriceDto(decimal InputPerMillion, decimal OutputPerMillion);

/// <summary>A configured LLM provider. The API key is never returned: only whether there is one and its last 4 characters.</summary>
public sealed record ProviderDto(
    int Id,
    string Name,
    string Kind,
    string BaseUrl,
    bool HasApiKey,
    string? ApiKeyLast4,
    IReadOnlyList<string> Models,
    string? DefaultModel,
    int MaxConcurrency,
    int RequestsPerMinute,
    IReadOnlyDictionary<string, ModelPriceDto> Prices,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>
/// Create or replace a provider. On update, an absent (null) <see cref="ApiKey"/> keeps the stored key and an
/// empty one removes it.
/// </summary>
public sealed record SaveProviderRequest(
    string? Name,
    string? Kind,
    string? BaseUrl = null,
    string? ApiKey = null,
    List<string>? Models = null,
    string? DefaultModel = null,
    int? MaxConcurrency = null,
    int? RequestsPerMinute = null,
    Dictionary<string, ModelPriceDto>? Prices = null);

/// <summary>The outcome of one tiny real call, in words.</summary>
public sealed record ProviderTestResultDto(bool Ok, string Message, string? Model, int? StatusCode, long ElapsedMs);
