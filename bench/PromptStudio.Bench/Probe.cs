using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.AI;
using OpenAI;
using PromptStudio.Core.Llm;
using PromptStudio.Core.Metrics;
using PromptStudio.Core.Optimization;
using PromptStudio.Core.Prompts;

namespace PromptStudio.Bench;

/// <summary>Where the engine's CPU goes, without a network: `--probe`.</summary>
internal static class Probe
{
    private const string Answer = """{"id":"x","object":"chat.completion","created":1,"model":"bench","choices":[{"index":0,"message":{"role":"assistant","content":"odd"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":1,"total_tokens":11}}""";

    public static async Task RunAsync(ILlmResponseCache cache)
    {
        ChatMessage[] messages = [new(ChatRole.System, "You label numbers."), new(ChatRole.User, "Is 7919 even or odd? Answer with one word. Item 1.")];
        // The parts alone.
        var options = new ChatOptions { ModelId = "bench" };
        await TimeAsync("cache key", _ => Task.FromResult(PersistentCachingChatClient.Key("provider:1", messages, options)));
        await TimeAsync("cache lookup, miss", i => cache.GetAsync($"{i:x64}", CancellationToken.None));
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, "odd")) { Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 1 }, ModelId = "bench", ResponseId = "x" };
        var json = System.Text.Json.JsonSerializer.Serialize(response, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponse)));
        await TimeAsync("response to JSON", _ => Task.FromResult(System.Text.Json.JsonSerializer.Serialize(response, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponse)))));
        await TimeAsync("cache store (write-behind)", async i => { await cache.SetAsync($"{i + 100_000:x64}", "bench", json, CancellationToken.None); return 0; });
        await TimeAsync("cache lookup, hit", i => cache.GetAsync($"{i + 100_000:x64}", CancellationToken.None));
        var template = "Is {{n}} even or odd? Answer with one word. Item {{id}}.";
        var values = new Dictionary<string, string> { ["n"] = "7919", ["id"] = "1" };
        await TimeAsync("render", _ => Task.FromResult(PromptTemplate.Render(template, values)));
        var scorer = new MetricScorer([MetricSpec.Default]);
        var item = new EvalItem(1, null, values, "odd");
        await TimeAsync("score", _ => scorer.ScoreAsync("odd", item, CancellationToken.None));

        var client = new HttpClient(new Canned());
        var sdk = new OpenAIClient(new ApiKeyCredential("k"), new OpenAIClientOptions { Endpoint = new Uri("http://x/v1"), Transport = new HttpClientPipelineTransport(client) }).GetChatClient("bench");
        await TimeAsync("OpenAI SDK alone", _ => sdk.CompleteChatAsync([new OpenAI.Chat.SystemChatMessage("You label numbers."), new OpenAI.Chat.UserChatMessage("Is 7919 even or odd?")]));
        var meai = sdk.AsIChatClient();
        await TimeAsync("M.E.AI adapter over the SDK", _ => meai.GetResponseAsync(messages, new ChatOptions { ModelId = "bench" }));

        var settings = new ProviderSettings(1, "p", ProviderKinds.OpenAICompatible, new Uri("http://x/v1"), "k", ["bench"], "bench", 64, 0, new Dictionary<string, ModelPrice>());
        using var limiter = new ProviderLimiter(64, 0, TimeSpan.FromMinutes(1));
        var resilient = new HttpClient(new ProviderErrorHandler("p") { InnerHandler = new Microsoft.Extensions.Http.Resilience.ResilienceHandler(ProviderHttp.Pipeline(limiter, new LlmPipelineOptions())) { InnerHandler = new Canned() } });
        var sdk2 = new OpenAIClient(new ApiKeyCredential("k"), new OpenAIClientOptions { Endpoint = new Uri("http://x/v1"), Transport = new HttpClientPipelineTransport(resilient), RetryPolicy = new ClientRetryPolicy(0) }).GetChatClient("bench").AsIChatClient();
        await TimeAsync("+ resilience handler", _ => sdk2.GetResponseAsync(messages, new ChatOptions { ModelId = "bench" }));
        IChatClient limited = new LimitingChatClient(sdk2, limiter);
        await TimeAsync("+ limiter", _ => limited.GetResponseAsync(messages, new ChatOptions { ModelId = "bench" }));
        var usage = new UsageChatClient(limited, settings, new UsageMeter(0, 0, null, null));
        await TimeAsync("+ usage", _ => usage.GetResponseAsync(messages, new ChatOptions { ModelId = "bench" }));
        await TimeAsync("+ cache, reads only", i => new PersistentCachingChatClient(usage, new ReadOnly(cache), "p").GetResponseAsync([messages[0], new ChatMessage(ChatRole.User, $"Is {i} even? {Guid.NewGuid()}")], new ChatOptions { ModelId = "bench" }));
        await TimeAsync("+ cache, writes only", i => new PersistentCachingChatClient(usage, new WriteOnly(cache), "p").GetResponseAsync([messages[0], new ChatMessage(ChatRole.User, $"Is {i} even? {Guid.NewGuid()}")], new ChatOptions { ModelId = "bench" }));
        var cached = new PersistentCachingChatClient(usage, cache, "p");
        await TimeAsync("+ cache (all misses)", i => cached.GetResponseAsync([messages[0], new ChatMessage(ChatRole.User, $"Is {i} even? {Guid.NewGuid()}")], new ChatOptions { ModelId = "bench" }));
        var evaluator = new CandidateEvaluator(cached, "bench", new MetricScorer([MetricSpec.Default]), 1, 0.2);
        var prompt = new PromptText("You label numbers.", "Is {{n}} even or odd? {{id}}");
        await TimeAsync("+ evaluator (render, score)", i => evaluator.RunAsync(prompt, [new EvalItem(i, null, new Dictionary<string, string> { ["n"] = $"{i}", ["id"] = Guid.NewGuid().ToString() }, "odd")], CancellationToken.None));
    }

    private static async Task TimeAsync<T>(string name, Func<int, Task<T>> action)
    {
        for (var i = 0; i < 500; i++) await action(i);
        var me = Process.GetCurrentProcess();
        var cpu = me.TotalProcessorTime;
        const int n = 5000;
        for (var i = 0; i < n; i++) await action(i);
        me.Refresh();
        Console.WriteLine($"{name}: {(me.TotalProcessorTime - cpu).TotalMicroseconds / n:0} µs CPU per call");
    }

    private sealed class ReadOnly(ILlmResponseCache inner) : ILlmResponseCache
    {
        public Task<string?> GetAsync(string key, CancellationToken cancellationToken) => inner.GetAsync(key, cancellationToken);
        public Task SetAsync(string key, string model, string responseJson, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class WriteOnly(ILlmResponseCache inner) : ILlmResponseCache
    {
        public Task<string?> GetAsync(string key, CancellationToken cancellationToken) => Task.FromResult<string?>(null);
        public Task SetAsync(string key, string model, string responseJson, CancellationToken cancellationToken) => inner.SetAsync(key, model, responseJson, cancellationToken);
    }

    private sealed class Canned : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Answer, Encoding.UTF8, "application/json") });
    }
}
