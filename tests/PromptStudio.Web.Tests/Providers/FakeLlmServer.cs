using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace PromptStudio.Web.Tests.Providers;

/// <summary>What the fake server saw of one request.</summary>
public sealed record FakeCall(int Number, TimeSpan At, string Path, string? Model, IReadOnlyList<(string Role, string Content)> Messages, string? Authorization)
{
    public string AllText => string.Join("\n", Messages.Select(m => m.Content));
    public string UserText => string.Join("\n", Messages.Where(m => m.Role == "user").Select(m => m.Content));

    /// <summary>A meta-prompt of the LLM proposer rather than an evaluation call.</summary>
    public bool IsMutation => Messages.Any(m => m.Role == "system" && m.Content.Contains("expert prompt engineer", StringComparison.Ordinal));
}

/// <summary>How the fake server answers one request.</summary>
public sealed record FakeReply(
    string Content = "ok",
    int Status = 200,
    string? RawBody = null,
    TimeSpan Delay = default,
    bool Hang = false,
    int InputTokens = 10,
    int OutputTokens = 2,
    string? RetryAfter = null,
    string? Location = null)
{
    public static FakeReply Error(int status, string message, string? retryAfter = null) =>
        new(Status: status, RawBody: JsonSerializer.Serialize(new { error = new { message, type = "fake_error" } }), RetryAfter: retryAfter);
}

/// <summary>
/// An OpenAI-compatible (<c>/v1/chat/completions</c>) and Ollama-shaped (<c>/api/chat</c>) server on
/// 127.0.0.1 for tests: scriptable answers, latency, errors, Retry-After, malformed JSON, hangs, redirects and
/// usage numbers; it records every call, the most requests in flight at once and aborted connections.
/// </summary>
public sealed class FakeLlmServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _number;
    private int _inFlight;
    private int _maxInFlight;
    private int _aborted;

    private FakeLlmServer(WebApplication app) => _app = app;

    public Func<FakeCall, FakeReply> Script { get; set; } = _ => new FakeReply();

    public ConcurrentQueue<FakeCall> Calls { get; } = new();

    /// <summary>Calls whose answer was written in full.</summary>
    public ConcurrentQueue<FakeCall> Answered { get; } = new();

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Requests whose client closed the connection before the answer was written.</summary>
    public int Aborted => Volatile.Read(ref _aborted);

    public int Port { get; private set; }

    public string OpenAIBaseUrl => $"http://127.0.0.1:{Port}/v1";

    public string OllamaBaseUrl => $"http://127.0.0.1:{Port}";

    private long _inputTokens;
    private long _outputTokens;

    public long TotalInputTokens => Interlocked.Read(ref _inputTokens);

    public long TotalOutputTokens => Interlocked.Read(ref _outputTokens);

    public static async Task<FakeLlmServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeLlmServer(app);
        app.MapPost("/v1/chat/completions", ctx => server.HandleAsync(ctx, ollama: false));
        app.MapPost("/api/chat", ctx => server.HandleAsync(ctx, ollama: true));
        app.MapPost("/v1/messages", ctx => server.HandleAsync(ctx, ollama: false, anthropic: true));
        await app.StartAsync();
        var address = app.Services.GetService(typeof(IServer)) is IServer s ? s.Features.Get<IServerAddressesFeature>()!.Addresses.First() : throw new InvalidOperationException();
        server.Port = new Uri(address).Port;
        return server;
    }

    private async Task HandleAsync(HttpContext ctx, bool ollama, bool anthropic = false)
    {
        var now = Track(+1);
        try
        {
            var body = await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
            var messages = body?["messages"]?.AsArray().Select(m => (m?["role"]?.GetValue<string>() ?? "", ContentOf(m?["content"]))).ToList() ?? [];
            if (body?["system"] is { } system) messages.Insert(0, ("system", ContentOf(system)));
            var call = new FakeCall(Interlocked.Increment(ref _number), now, ctx.Request.Path, body?["model"]?.GetValue<string>(), messages,
                // The Anthropic SDK sends the key as x-api-key or as a bearer token, depending on its version.
                anthropic && ctx.Request.Headers.TryGetValue("x-api-key", out var apiKey) ? apiKey.ToString() : ctx.Request.Headers.Authorization.ToString());
            Calls.Enqueue(call);
            var reply = Script(call);

            if (reply.Hang) await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
            if (reply.Delay > TimeSpan.Zero) await Task.Delay(reply.Delay, ctx.RequestAborted);

            ctx.Response.StatusCode = reply.Status;
            if (reply.RetryAfter is not null) ctx.Response.Headers.RetryAfter = reply.RetryAfter;
            if (reply.Location is not null) ctx.Response.Headers.Location = reply.Location;
            ctx.Response.ContentType = "application/json";
            if (reply.RawBody is not null)
            {
                await ctx.Response.WriteAsync(reply.RawBody, ctx.RequestAborted);
                return;
            }
            Interlocked.Add(ref _inputTokens, reply.InputTokens);
            Interlocked.Add(ref _outputTokens, reply.OutputTokens);
            var model = call.Model ?? "fake-model";
            object answer = anthropic
                ? new
                {
                    id = $"msg_{call.Number}",
                    type = "message",
                    role = "assistant",
                    model,
                    content = new[] { new { type = "text", text = reply.Content } },
                    stop_reason = "end_turn",
                    stop_sequence = (string?)null,
                    usage = new { input_tokens = reply.InputTokens, output_tokens = reply.OutputTokens },
                }
                : ollama
                ? new
                {
                    model,
                    created_at = "2026-01-01T00:00:00Z",
                    message = new { role = "assistant", content = reply.Content },
                    done = true,
                    done_reason = "stop",
                    prompt_eval_count = reply.InputTokens,
                    eval_count = reply.OutputTokens,
                }
                : new
                {
                    id = $"chatcmpl-{call.Number}",
                    @object = "chat.completion",
                    created = 1_767_225_600,
                    model,
                    choices = new[] { new { index = 0, message = new { role = "assistant", content = reply.Content }, finish_reason = "stop" } },
                    usage = new { prompt_tokens = reply.InputTokens, completion_tokens = reply.OutputTokens, total_tokens = reply.InputTokens + reply.OutputTokens },
                };
            var json = JsonSerializer.Serialize(answer);
            if (ollama && body?["stream"]?.GetValue<bool>() != false) json += "\n";
            await ctx.Response.WriteAsync(json, ctx.RequestAborted);
            await ctx.Response.CompleteAsync();
            Answered.Enqueue(call);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            Interlocked.Increment(ref _aborted);
        }
        finally
        {
            Track(-1);
        }
    }

    private static string ContentOf(JsonNode? content) => content switch
    {
        null => "",
        JsonValue v => v.GetValue<string>(),
        JsonArray parts => string.Join("", parts.Select(p => p?["text"]?.GetValue<string>() ?? "")),
        _ => content.ToJsonString(),
    };

    private TimeSpan Track(int delta)
    {
        var now = Interlocked.Add(ref _inFlight, delta);
        if (delta > 0)
        {
            int max;
            while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
            {
            }
        }
        return _clock.Elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
