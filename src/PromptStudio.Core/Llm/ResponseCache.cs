using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace PromptStudio.Core.Llm;

/// <summary>Where answers are kept between runs (the host stores them in its database).</summary>
public interface ILlmResponseCache
{
    Task<string?> GetAsync(string key, CancellationToken cancellationToken);

    Task SetAsync(string key, string model, string responseJson, CancellationToken cancellationToken);
}

/// <summary>
/// The top of the pipeline: a call identical to one already answered (same provider, model, parameters and
/// rendered messages) is answered from the persisted cache, so a resumed job or a re-evaluation costs
/// nothing. A cached answer carries <see cref="CacheHitProperty"/> so usage counts it as a hit, not a call.
/// </summary>
public sealed class PersistentCachingChatClient(IChatClient inner, ILlmResponseCache cache, string scope) : DelegatingChatClient(inner)
{
    public const string CacheHitProperty = "promptstudio.cache_hit";

    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var key = Key(scope, list, options);
        if (await cache.GetAsync(key, cancellationToken) is { } json)
        {
            var cached = JsonSerializer.Deserialize(json, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponse))) as ChatResponse;
            if (cached is not null)
            {
                (cached.AdditionalProperties ??= [])[CacheHitProperty] = true;
                return cached;
            }
        }

        var response = await base.GetResponseAsync(list, options, cancellationToken);
        var stored = JsonSerializer.Serialize(response, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponse)));
        // Durability point: once written, this answer is never paid for again.
        await cache.SetAsync(key, options?.ModelId ?? "", stored, CancellationToken.None);
        return response;
    }

    /// <summary>SHA-256 over the provider, the model, the parameters that change an answer and the rendered messages.</summary>
    public static string Key(string scope, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var payload = new
        {
            scope,
            model = options?.ModelId,
            temperature = options?.Temperature,
            topP = options?.TopP,
            maxOutputTokens = options?.MaxOutputTokens,
            seed = options?.Seed,
            stop = options?.StopSequences,
            format = options?.ResponseFormat switch
            {
                null => null,
                ChatResponseFormatJson json => "json:" + json.Schema?.GetRawText(),
                _ => "text",
            },
            messages = messages.Select(m => new { role = m.Role.Value, text = m.Text }),
        };
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(payload)));
        return Convert.ToHexStringLower(bytes);
    }
}
