using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PromptStudio.Scale.Tests.Infrastructure;

/// <summary>
/// An OpenAI-compatible chat-completions endpoint on 127.0.0.1 that every node of a cluster calls: it answers
/// each request after <see cref="Latency"/> and records when each arrived and the most it had in flight at once,
/// which is what a provider's limits are about.
/// </summary>
public sealed class CountingLlmServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _inFlight;
    private int _maxInFlight;

    private CountingLlmServer(WebApplication app) => _app = app;

    public TimeSpan Latency { get; init; }

    /// <summary>Arrival times since the server started.</summary>
    public ConcurrentQueue<TimeSpan> Arrivals { get; } = new();

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public string BaseUrl { get; private set; } = "";

    public static async Task<CountingLlmServer> StartAsync(TimeSpan latency)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new CountingLlmServer(app) { Latency = latency };
        app.MapPost("/v1/chat/completions", server.AnswerAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = $"{address.TrimEnd('/')}/v1";
        return server;
    }

    private async Task AnswerAsync(HttpContext context)
    {
        Arrivals.Enqueue(_clock.Elapsed);
        var now = Interlocked.Increment(ref _inFlight);
        int max;
        while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
        {
        }
        try
        {
            await Task.Delay(Latency, context.RequestAborted);
            await context.Response.WriteAsJsonAsync(new
            {
                id = "chatcmpl-1",
                @object = "chat.completion",
                created = 1_767_225_600,
                model = "fake-model",
                choices = new[] { new { index = 0, message = new { role = "assistant", content = "an answer" }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 10, completion_tokens = 2, total_tokens = 12 },
            }, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>The most arrivals within any span of <paramref name="window"/> (each span starting at an arrival).</summary>
    public int MostArrivalsWithin(TimeSpan window)
    {
        var times = Arrivals.Order().ToList();
        var most = 0;
        for (int start = 0, end = 0; start < times.Count; start++)
        {
            while (end < times.Count && times[end] - times[start] < window) end++;
            most = Math.Max(most, end - start);
        }
        return most;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
