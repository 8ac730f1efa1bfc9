using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using Anthropic;
using Microsoft.Extensions.AI;
using OllamaSharp;
using OpenAI;

namespace PromptStudio.Core.Llm;

/// <summary>
/// One configured provider while the instance runs: its HTTP client, its limiter and one SDK chat client per
/// model, all shared by every job. Build a new one when the provider's settings change.
/// </summary>
public sealed class ProviderRuntime : IDisposable
{
    private readonly HttpClient _http;
    private readonly ConcurrentDictionary<string, IChatClient> _clients = new(StringComparer.Ordinal);

    /// <param name="shared">The cluster's share of the provider's limits, when this instance is one of several.</param>
    public ProviderRuntime(ProviderSettings settings, LlmPipelineOptions options, ISharedProviderLimit? shared = null)
    {
        Settings = settings;
        Limiter = new ProviderLimiter(settings.MaxConcurrency, settings.RequestsPerMinute, options.RateWindow, shared: shared);
        _http = ProviderHttp.Create(settings.Name, Limiter, options);
    }

    public ProviderSettings Settings { get; }

    public ProviderLimiter Limiter { get; }

    /// <summary>The provider's client for <paramref name="model"/>, limited to the provider's concurrency.</summary>
    public IChatClient ChatClient(string model) => _clients.GetOrAdd(model, m => new LimitingChatClient(CreateSdkClient(m), Limiter));

    private IChatClient CreateSdkClient(string model)
    {
        var s = Settings;
        var key = string.IsNullOrEmpty(s.ApiKey) ? "unused" : s.ApiKey;
        switch (s.Kind)
        {
            case ProviderKinds.Ollama:
                _http.BaseAddress ??= s.BaseUrl;
                return new OllamaApiClient(_http, model);
            case ProviderKinds.Anthropic:
                var anthropic = new AnthropicClient { ApiKey = key, BaseUrl = s.BaseUrl.ToString().TrimEnd('/'), HttpClient = _http, MaxRetries = 0, Timeout = Timeout.InfiniteTimeSpan };
                return anthropic.AsIChatClient(model);
            default:
                // openai, azure-openai (its v1 endpoint) and openai-compatible servers all speak chat completions.
                var openAi = new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions
                {
                    Endpoint = s.BaseUrl,
                    Transport = new HttpClientPipelineTransport(_http),
                    RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
                    NetworkTimeout = Timeout.InfiniteTimeSpan,
                });
                return openAi.GetChatClient(model).AsIChatClient();
        }
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values) client.Dispose();
        _http.Dispose();
        Limiter.Dispose();
    }
}
