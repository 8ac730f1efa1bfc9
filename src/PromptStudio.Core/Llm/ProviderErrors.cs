using System.Net;
using System.Text.Json;

namespace PromptStudio.Core.Llm;

/// <summary>
/// A provider answered with an error after every retry. The message names the provider, the status code
/// and what the provider said, so the job's error tells the user what to fix.
/// </summary>
public sealed class LlmProviderException(string provider, int statusCode, string providerMessage)
    : Exception($"Provider '{provider}' answered {statusCode} ({ReasonOf(statusCode)}): {providerMessage}")
{
    public string Provider { get; } = provider;
    public int StatusCode { get; } = statusCode;
    public string ProviderMessage { get; } = providerMessage;

    /// <summary>Errors no other item can escape (bad key, no access, unknown model): the job fails at once.</summary>
    public bool IsFatal => StatusCode is 401 or 403 or 404;

    private static string ReasonOf(int status) =>
        Enum.IsDefined(typeof(HttpStatusCode), status) ? ((HttpStatusCode)status).ToString() : "error";
}

/// <summary>
/// The outermost handler of a provider's HTTP client: it sees the answer that is final after retries, and
/// turns an error status into <see cref="LlmProviderException"/> with the provider's own message, the same
/// way for every SDK.
/// </summary>
public sealed class ProviderErrorHandler(string provider) : DelegatingHandler
{
    private const int MaxMessageLength = 500;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new LlmProviderException(provider, (int)response.StatusCode, MessageOf(body, response.ReasonPhrase));
        }
    }

    /// <summary>The error text of an OpenAI-, Anthropic- or Ollama-shaped error body, else the body itself.</summary>
    internal static string MessageOf(string body, string? reason)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("error", out var error))
                {
                    if (error.ValueKind == JsonValueKind.String) return Clip(error.GetString()!);
                    if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
                        return Clip(m.GetString()!);
                }
                if (root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String) return Clip(message.GetString()!);
            }
        }
        catch (JsonException)
        {
        }
        return string.IsNullOrWhiteSpace(body) ? reason ?? "no message" : Clip(body.Trim());
    }

    private static string Clip(string text) => text.Length <= MaxMessageLength ? text : text[..MaxMessageLength] + "…";
}
