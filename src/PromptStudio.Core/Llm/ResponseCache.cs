using System.Buffers;
using System.Security.Cryptography;
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

    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo ResponseJson = AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponse));

    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var key = Key(scope, list, options);
        if (await cache.GetAsync(key, cancellationToken) is { } json)
        {
            var cached = JsonSerializer.Deserialize(json, ResponseJson) as ChatResponse;
            if (cached is not null)
            {
                (cached.AdditionalProperties ??= [])[CacheHitProperty] = true;
                return cached;
            }
        }

        var response = await base.GetResponseAsync(list, options, cancellationToken);
        var stored = JsonSerializer.Serialize(response, ResponseJson);
        // Durability point: once written, this answer is never paid for again.
        await cache.SetAsync(key, options?.ModelId ?? "", stored, CancellationToken.None);
        return response;
    }

    /// <summary>SHA-256 over the provider, the model, the parameters that change an answer and the rendered messages.</summary>
    /// <remarks>
    /// The key is stored with every cached answer, so its bytes are a contract: they are those of
    /// <c>JsonSerializer.Serialize(new { scope, model, temperature, topP, maxOutputTokens, seed, stop, format,
    /// messages = [{ role, text }] })</c> with the default options, written here by hand into a reused buffer
    /// because this runs once per call (a test holds it to the serializer's output).
    /// </remarks>
    public static string Key(string scope, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var buffer = t_keyBuffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var json = t_keyWriter;
        if (json is null) t_keyWriter = json = new Utf8JsonWriter(buffer);
        else json.Reset(buffer);

        json.WriteStartObject();
        json.WriteString("scope", scope);
        json.WriteString("model", options?.ModelId);
        WriteNumber(json, "temperature", options?.Temperature);
        WriteNumber(json, "topP", options?.TopP);
        if (options?.MaxOutputTokens is { } maxOutputTokens) json.WriteNumber("maxOutputTokens", maxOutputTokens);
        else json.WriteNull("maxOutputTokens");
        if (options?.Seed is { } seed) json.WriteNumber("seed", seed);
        else json.WriteNull("seed");
        if (options?.StopSequences is { } stop)
        {
            json.WriteStartArray("stop");
            foreach (var s in stop) json.WriteStringValue(s);
            json.WriteEndArray();
        }
        else json.WriteNull("stop");
        json.WriteString("format", options?.ResponseFormat switch
        {
            null => null,
            ChatResponseFormatJson format => "json:" + format.Schema?.GetRawText(),
            _ => "text",
        });
        json.WriteStartArray("messages");
        foreach (var m in messages)
        {
            json.WriteStartObject();
            json.WriteString("role", m.Role.Value);
            json.WriteString("text", m.Text);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(buffer.WrittenSpan, hash);
        // A rare huge prompt should not keep its buffer alive on this thread.
        if (buffer.Capacity > 64 * 1024) t_keyBuffer = null;
        return Convert.ToHexStringLower(hash);
    }

    private static void WriteNumber(Utf8JsonWriter json, string name, float? value)
    {
        if (value is { } v) json.WriteNumber(name, v);
        else json.WriteNull(name);
    }

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_keyBuffer;
    [ThreadStatic] private static Utf8JsonWriter? t_keyWriter;
}
