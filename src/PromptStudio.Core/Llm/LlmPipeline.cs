using Microsoft.Extensions.AI;

namespace PromptStudio.Core.Llm;

/// <summary>Composes the chat client one job uses for one model: cache → usage and budget → provider limiter → HTTP resilience.</summary>
public static class LlmPipeline
{
    public static IChatClient For(ProviderRuntime provider, string model, ILlmResponseCache cache, UsageMeter meter) =>
        new ChatClientBuilder(provider.ChatClient(model))
            .Use(inner => new ModelPinningChatClient(inner, model))
            .Use(inner => new PersistentCachingChatClient(inner, cache, $"provider:{provider.Settings.Id}"))
            .Use(inner => new UsageChatClient(inner, provider.Settings, meter))
            .Build();
}

/// <summary>Sets the model on every call so that the cache key and the price table see the model that answers.</summary>
internal sealed class ModelPinningChatClient(IChatClient inner, string model) : DelegatingChatClient(inner)
{
    public override Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        // The caller's options are never changed; a copy only when the model is not the pinned one already.
        if (options is null || !string.Equals(options.ModelId, model, StringComparison.Ordinal))
        {
            options = options?.Clone() ?? new ChatOptions();
            options.ModelId = model;
        }
        return base.GetResponseAsync(messages, options, cancellationToken);
    }
}
