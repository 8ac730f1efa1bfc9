using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace PromptStudio.Bench;

/// <summary>
/// The OpenAI-compatible server of the benchmark, run in its own process so that its CPU is not counted as
/// the engine's. Every answer takes the fixed latency (as exactly as a timer allows); <c>/stats</c> reports the
/// span from the first request's arrival to the last answer, the most requests in flight, the mean time from a
/// request's arrival to its answer (the latency the server really gave) and the server's own CPU since
/// <c>/reset</c>.
/// </summary>
internal static class FakeServer
{
    private static readonly Lock Gate = new();
    private static long _first, _last, _handling;
    private static int _count, _inFlight, _maxInFlight;
    private static TimeSpan _cpuAtReset;

    public static async Task RunAsync(int port, TimeSpan latency)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/v1/chat/completions", async (HttpContext ctx) =>
        {
            var start = Stopwatch.GetTimestamp();
            lock (Gate)
            {
                if (_count == 0) _first = start;
                _count++;
                _maxInFlight = Math.Max(_maxInFlight, ++_inFlight);
            }
            using var body = await JsonDocument.ParseAsync(ctx.Request.Body);
            var user = body.RootElement.GetProperty("messages").EnumerateArray().Last().GetProperty("content").GetString() ?? "";
            await Task.Delay(latency);
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(JsonSerializer.Serialize(new
            {
                id = "x",
                @object = "chat.completion",
                created = 1,
                model = "bench",
                choices = new[] { new { index = 0, message = new { role = "assistant", content = user.Length % 2 == 0 ? "even" : "odd" }, finish_reason = "stop" } },
                usage = new { prompt_tokens = user.Length / 4, completion_tokens = 1, total_tokens = user.Length / 4 + 1 },
            }));
            lock (Gate)
            {
                _inFlight--;
                _last = Stopwatch.GetTimestamp();
                _handling += _last - start;
            }
        });
        app.MapGet("/stats", () =>
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            lock (Gate)
            {
                return Results.Json(new
                {
                    count = _count,
                    spanMs = _count == 0 ? 0 : Stopwatch.GetElapsedTime(_first, _last).TotalMilliseconds,
                    maxInFlight = _maxInFlight,
                    meanAnswerMs = _count == 0 ? 0 : Stopwatch.GetElapsedTime(0, _handling).TotalMilliseconds / _count,
                    cpuMs = (cpu - _cpuAtReset).TotalMilliseconds,
                });
            }
        });
        app.MapPost("/reset", () =>
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            lock (Gate)
            {
                _count = _maxInFlight = 0;
                _handling = 0;
                _cpuAtReset = cpu;
            }
            return Results.Ok();
        });
        await app.RunAsync();
    }
}
