using System.Net;
using Microsoft.Extensions.AI;
using PromptStudio.Core.Llm;
using Xunit;

namespace PromptStudio.Core.Tests.Llm;

public sealed class PipelineTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly ProviderSettings Provider = new(7, "p", ProviderKinds.OpenAI, new Uri("https://example.com"), null, ["m"], "m", 4, 0,
        new Dictionary<string, ModelPrice> { ["m"] = new(2m, 8m) });

    [Fact]
    public async Task IdenticalCalls_AreAnsweredFromTheCache_AndCountedAsHitsNotCalls()
    {
        var model = new ScriptedChatClient(_ => "answer", inputTokens: 1000, outputTokens: 500);
        var cache = new MemoryResponseCache();
        IChatClient chat = new PersistentCachingChatClient(new UsageChatClient(model, Provider, new UsageMeter(0, 0, null, null)), cache, "provider:7");
        var options = new ChatOptions { ModelId = "m", Temperature = 0 };

        var first = await chat.GetResponseAsync([new ChatMessage(ChatRole.User, "q")], options, Ct);
        var second = await chat.GetResponseAsync([new ChatMessage(ChatRole.User, "q")], options, Ct);
        var other = await chat.GetResponseAsync([new ChatMessage(ChatRole.User, "q")], new ChatOptions { ModelId = "m", Temperature = 1 }, Ct);

        Assert.Equal(2, model.Calls.Count);
        Assert.Equal("answer", second.Text);
        Assert.Equal(new PromptStudio.Core.Optimization.LlmUsage(1, 1000, 500, 0.006m), UsageChatClient.LlmUsageOf(first));
        Assert.Equal(PromptStudio.Core.Optimization.LlmUsage.Zero with { CacheHits = 1 }, UsageChatClient.LlmUsageOf(second));
        Assert.Equal(1, UsageChatClient.LlmUsageOf(other).Calls);
    }

    [Fact]
    public void CacheKey_DependsOnProviderModelParametersAndMessages()
    {
        ChatMessage[] messages = [new(ChatRole.System, "s"), new(ChatRole.User, "u")];
        var key = PersistentCachingChatClient.Key("provider:1", messages, new ChatOptions { ModelId = "m" });

        Assert.Equal(key, PersistentCachingChatClient.Key("provider:1", [new(ChatRole.System, "s"), new(ChatRole.User, "u")], new ChatOptions { ModelId = "m" }));
        Assert.NotEqual(key, PersistentCachingChatClient.Key("provider:2", messages, new ChatOptions { ModelId = "m" }));
        Assert.NotEqual(key, PersistentCachingChatClient.Key("provider:1", messages, new ChatOptions { ModelId = "m2" }));
        Assert.NotEqual(key, PersistentCachingChatClient.Key("provider:1", messages, new ChatOptions { ModelId = "m", Temperature = 0.5f }));
        Assert.NotEqual(key, PersistentCachingChatClient.Key("provider:1", [new(ChatRole.User, "s"), new(ChatRole.User, "u")], new ChatOptions { ModelId = "m" }));
    }

    public static TheoryData<ChatOptions?, string> KeyCases() => new()
    {
        { null, "plain" },
        { new ChatOptions { ModelId = "m" }, "plain" },
        { new ChatOptions { ModelId = "m", Temperature = 0.7f, TopP = 0.95f, MaxOutputTokens = 256, Seed = 42 }, "plain" },
        { new ChatOptions { ModelId = "m", Temperature = 1e-7f, StopSequences = ["\n", "</end>"] }, "plain" },
        { new ChatOptions { ModelId = "m", ResponseFormat = ChatResponseFormat.Text }, "plain" },
        { new ChatOptions { ModelId = "m", ResponseFormat = ChatResponseFormat.Json }, "plain" },
        { new ChatOptions { ModelId = "m", ResponseFormat = ChatResponseFormat.ForJsonSchema(System.Text.Json.JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"string"}}}""").RootElement, "s") }, "plain" },
        { new ChatOptions { ModelId = "m" }, "héllo — 日本 😀 <b>&'\"\\ \t" },
    };

    [Theory]
    [MemberData(nameof(KeyCases))]
    public void CacheKey_IsTheSameHashAsTheStoredKeysOfEarlierVersions(ChatOptions? options, string text)
    {
        ChatMessage[] messages = [new(ChatRole.System, "s"), new(ChatRole.User, [new TextContent(text), new TextContent(" and more")])];

        Assert.Equal(ReferenceKey("provider:1", messages, options), PersistentCachingChatClient.Key("provider:1", messages, options));
    }

    /// <summary>How keys were computed when the cache was introduced: stored keys must keep hitting.</summary>
    private static string ReferenceKey(string scope, IEnumerable<ChatMessage> messages, ChatOptions? options)
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
        var bytes = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(payload)));
        return Convert.ToHexStringLower(bytes);
    }

    [Fact]
    public void UsageMeter_RefusesCallsOnceTheCostLimitIsReached_CountingWhatWasSpentBeforeAResume()
    {
        var meter = new UsageMeter(callsBefore: 10, costBefore: 0.9m, maxCalls: null, maxCostUsd: 1m);

        meter.Reserve();
        meter.AddCost(0.1m);

        Assert.Throws<BudgetExceededException>(meter.Reserve);
        Assert.Equal(11, meter.Calls);
    }

    [Theory]
    [InlineData("169.254.169.254", true, "metadata")]
    [InlineData("169.254.10.1", true, "link-local")]
    [InlineData("fe80::1", true, "link-local")]
    [InlineData("fd00:ec2::254", true, "metadata")]
    [InlineData("::ffff:169.254.169.254", true, "metadata")]
    [InlineData("127.0.0.1", false, "loopback")]
    [InlineData("::1", false, "loopback")]
    [InlineData("10.0.0.8", false, "private")]
    [InlineData("172.20.1.1", false, "private")]
    [InlineData("192.168.0.1", false, "private")]
    [InlineData("fd12:3456::1", false, "private")]
    [InlineData("0.0.0.0", false, "loopback")]
    public void BlockedAddresses_AreRefused(string address, bool evenWhenPrivateIsAllowed, string reason)
    {
        var ip = IPAddress.Parse(address);

        Assert.Contains(reason, OutboundAddressPolicy.Refusal(ip, allowPrivateNetworks: false), StringComparison.Ordinal);
        Assert.Equal(evenWhenPrivateIsAllowed, OutboundAddressPolicy.Refusal(ip, allowPrivateNetworks: true) is not null);
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("104.18.6.192")]
    [InlineData("2606:4700::6810:7b0")]
    public void PublicAddresses_AreAllowed(string address) =>
        Assert.Null(OutboundAddressPolicy.Refusal(IPAddress.Parse(address), allowPrivateNetworks: false));

    [Fact]
    public async Task SlidingWindowLog_NeverLetsMoreThanTheLimitIntoAWindow()
    {
        var window = TimeSpan.FromMilliseconds(300);
        var log = new SlidingWindowLog(3, window, TimeProvider.System);
        var times = new List<TimeSpan>();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        for (var i = 0; i < 9; i++)
        {
            await log.WaitAsync(Ct);
            times.Add(clock.Elapsed);
        }

        for (var i = 0; i + 3 < times.Count; i++) Assert.True(times[i + 3] - times[i] >= window - TimeSpan.FromMilliseconds(2));
        Assert.True(times[2] < TimeSpan.FromMilliseconds(100), "the first three pass at once");
    }
}
