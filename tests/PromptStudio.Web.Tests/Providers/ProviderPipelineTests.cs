using System.Net;
using Microsoft.Extensions.AI;
using PromptStudio.Core.Llm;
using Xunit;

namespace PromptStudio.Web.Tests.Providers;

/// <summary>The provider's HTTP client, limiter and retries against the fake server, without the web host.</summary>
public sealed class ProviderPipelineTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FakeLlmServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await FakeLlmServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private ProviderRuntime Runtime(int maxConcurrency = 8, int requestsPerMinute = 0, TimeSpan? window = null, string kind = ProviderKinds.OpenAICompatible) =>
        new(new ProviderSettings(1, "fake", kind, new Uri(kind == ProviderKinds.OpenAICompatible ? _server.OpenAIBaseUrl : _server.OllamaBaseUrl), "key",
                ["m"], "m", maxConcurrency, requestsPerMinute, new Dictionary<string, ModelPrice>()),
            new LlmPipelineOptions { AllowPrivateNetworks = true, RetryBaseDelay = TimeSpan.FromMilliseconds(20), RateWindow = window ?? TimeSpan.FromMinutes(1) });

    private static Task<ChatResponse> Ask(IChatClient chat, string text) =>
        chat.GetResponseAsync([new ChatMessage(ChatRole.User, text)], new ChatOptions { ModelId = "m" }, Ct);

    [Fact]
    public async Task Requests_NeverExceedRequestsPerMinute_InAnyWindow()
    {
        var window = TimeSpan.FromSeconds(1);
        using var runtime = Runtime(maxConcurrency: 16, requestsPerMinute: 4, window: window);
        var chat = runtime.ChatClient("m");

        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Ask(chat, $"q{i}")));

        var times = _server.Calls.Select(c => c.At).Order().ToList();
        Assert.Equal(10, times.Count);
        for (var i = 0; i + 4 < times.Count; i++)
            Assert.True(times[i + 4] - times[i] >= window - TimeSpan.FromMilliseconds(5), $"requests {i} and {i + 4} are {(times[i + 4] - times[i]).TotalMilliseconds} ms apart");
    }

    [Fact]
    public async Task TooManyRequests_WithRetryAfter2_IsRetriedNoSoonerThan2SecondsLater()
    {
        _server.Script = call => call.Number == 1 ? FakeReply.Error(429, "Slow down.", retryAfter: "2") : new FakeReply("fine");
        using var runtime = Runtime();

        var response = await Ask(runtime.ChatClient("m"), "hello");

        Assert.Equal("fine", response.Text);
        var calls = _server.Calls.ToList();
        Assert.Equal(2, calls.Count);
        Assert.True(calls[1].At - calls[0].At >= TimeSpan.FromSeconds(2), $"retried after {(calls[1].At - calls[0].At).TotalMilliseconds} ms");
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    public async Task ClientErrors_AreNotRetried(int status)
    {
        _server.Script = _ => FakeReply.Error(status, "No.");
        using var runtime = Runtime();

        var error = await Assert.ThrowsAsync<LlmProviderException>(() => Ask(runtime.ChatClient("m"), "hello"));

        Assert.Equal(status, error.StatusCode);
        Assert.Equal("No.", error.ProviderMessage);
        Assert.Single(_server.Calls);
    }

    [Fact]
    public async Task ServerErrors_AreRetried_UntilOneSucceeds()
    {
        _server.Script = call => call.Number <= 2 ? FakeReply.Error(500, "Oops.") : new FakeReply("third time");
        using var runtime = Runtime();

        var response = await Ask(runtime.ChatClient("m"), "hello");

        Assert.Equal("third time", response.Text);
        Assert.Equal(3, _server.Calls.Count);
    }

    [Fact]
    public async Task AHangingAttempt_TimesOut_AndIsRetried()
    {
        _server.Script = call => call.Number == 1 ? new FakeReply(Hang: true) : new FakeReply("after the hang");
        using var runtime = new ProviderRuntime(
            new ProviderSettings(1, "fake", ProviderKinds.OpenAICompatible, new Uri(_server.OpenAIBaseUrl), "key", ["m"], "m", 4, 0, new Dictionary<string, ModelPrice>()),
            new LlmPipelineOptions { AllowPrivateNetworks = true, RetryBaseDelay = TimeSpan.FromMilliseconds(20), AttemptTimeout = TimeSpan.FromMilliseconds(500) });

        var response = await Ask(runtime.ChatClient("m"), "hello");

        Assert.Equal("after the hang", response.Text);
        await Eventually.WaitAsync(() => _server.Aborted == 1, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ARedirectToALoopbackAddress_IsRefused()
    {
        // 127.0.0.1 (the fake server) stands in for an allowed public host; the redirect goes to another loopback address.
        _server.Script = _ => new FakeReply(Status: 307, RawBody: "", Location: $"http://127.0.0.2:{_server.Port}/v1/chat/completions");
        var options = new LlmPipelineOptions { AllowPrivateNetworks = false, MaxRetries = 0 };
        using var limiter = new ProviderLimiter(4, 0, options.RateWindow);
        using var http = ProviderHttp.Create("fake", limiter, options,
            address => address.Equals(IPAddress.Loopback) ? null : OutboundAddressPolicy.Refusal(address, allowPrivateNetworks: false));

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync($"{_server.OpenAIBaseUrl}/chat/completions", new StringContent("{}"), Ct));

        var blocked = Assert.IsType<BlockedAddressException>(error.InnerException);
        Assert.Contains("127.0.0.2 is a loopback address", blocked.Message, StringComparison.Ordinal);
        Assert.Single(_server.Calls);
    }

    [Fact]
    public async Task ALoopbackBaseUrl_IsRefusedAtConnectTime_WhenPrivateNetworksAreNotAllowed()
    {
        var options = new LlmPipelineOptions { AllowPrivateNetworks = false };
        using var limiter = new ProviderLimiter(4, 0, options.RateWindow);
        using var http = ProviderHttp.Create("fake", limiter, options);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync($"{_server.OpenAIBaseUrl}/chat/completions", new StringContent("{}"), Ct));

        Assert.IsType<BlockedAddressException>(error.InnerException);
        Assert.Empty(_server.Calls);
    }

    [Fact]
    public async Task OllamaShapedServer_AnswersThroughTheOllamaClient()
    {
        _server.Script = _ => new FakeReply("from ollama", InputTokens: 7, OutputTokens: 3);
        using var runtime = Runtime(kind: ProviderKinds.Ollama);

        var response = await Ask(runtime.ChatClient("m"), "hello");

        Assert.Equal("from ollama", response.Text);
        Assert.Equal(7, response.Usage?.InputTokenCount);
        Assert.Equal("/api/chat", _server.Calls.Single().Path);
    }

    [Fact]
    public async Task AnthropicShapedServer_AnswersThroughTheAnthropicClient()
    {
        _server.Script = _ => new FakeReply("from claude", InputTokens: 9, OutputTokens: 4);
        using var runtime = Runtime(kind: ProviderKinds.Anthropic);

        var response = await Ask(runtime.ChatClient("m"), "hello");

        Assert.Equal("from claude", response.Text);
        Assert.Equal(9, response.Usage?.InputTokenCount);
        var call = _server.Calls.Single();
        Assert.Equal("/v1/messages", call.Path);
        Assert.Contains(call.Authorization, new[] { "key", "Bearer key" });
    }

    [Fact]
    public async Task AnthropicErrors_CarryTheProvidersMessage()
    {
        _server.Script = _ => new FakeReply(Status: 401, RawBody: "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}");
        using var runtime = Runtime(kind: ProviderKinds.Anthropic);

        var error = await Assert.ThrowsAsync<LlmProviderException>(() => Ask(runtime.ChatClient("m"), "hello"));

        Assert.Equal(401, error.StatusCode);
        Assert.Equal("invalid x-api-key", error.ProviderMessage);
    }
}
