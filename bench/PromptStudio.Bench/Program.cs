using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using PromptStudio.Bench;
using PromptStudio.Core.Llm;
using PromptStudio.Core.Metrics;
using PromptStudio.Core.Optimization;
using PromptStudio.Core.Prompts;
using PromptStudio.Web.Data;
using PromptStudio.Web.Providers;

// Engine throughput (issue 4, "Measure and report"):
//   dotnet run -c Release --project bench/PromptStudio.Bench [-- --items 1000 --latency-ms 50 --c 1,8,32,64 --write docs/benchmarks.md]
//   (--probe: where the engine's CPU goes per layer, without a network)
if (args is ["serve", var portText, var latencyText])
{
    // The server lives as long as its parent: it stops when the parent's end of stdin closes.
    _ = Task.Run(() =>
    {
        Console.In.ReadToEnd();
        Environment.Exit(0);
    });
    await FakeServer.RunAsync(int.Parse(portText, CultureInfo.InvariantCulture), TimeSpan.FromMilliseconds(int.Parse(latencyText, CultureInfo.InvariantCulture)));
    return;
}

var items = Option("--items", 1000);
var latency = TimeSpan.FromMilliseconds(Option("--latency-ms", 50));
var write = args.SkipWhile(a => a != "--write").Skip(1).FirstOrDefault();
var levels = (args.SkipWhile(a => a != "--c").Skip(1).FirstOrDefault() ?? "1,8,32,64").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
var port = FreePort();

// The same executable in server mode (through `dotnet` when run as a dll).
var host = Environment.ProcessPath!;
string[] serverArgs = Path.GetFileNameWithoutExtension(host) == "dotnet"
    ? [typeof(FakeServer).Assembly.Location, "serve", $"{port}", $"{latency.TotalMilliseconds}"]
    : ["serve", $"{port}", $"{latency.TotalMilliseconds}"];
using var server = Process.Start(new ProcessStartInfo(host, serverArgs) { UseShellExecute = false, RedirectStandardInput = true })!;
using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
await WaitForServerAsync(http);

var rows = new List<string>();
try
{
    Console.WriteLine($"N = {items} items, latency L = {latency.TotalMilliseconds:0} ms, {Environment.ProcessorCount} cores");
    // Warm-up: JIT, connection pool, SQLite.
    await EngineAsync(Math.Min(items, 64), 8, warmUp: true);
    await BareAsync(Math.Min(items, 64), 8, warmUp: true);
    foreach (var c in levels)
    {
        rows.Add(await EngineAsync(items, c, warmUp: false));
        rows.Add(await BareAsync(items, c, warmUp: false));
    }
}
finally
{
    server.Kill(entireProcessTree: true);
}

var table = new StringBuilder()
    .AppendLine("| c | loop | limit ⌈N/c⌉·L | span seen by server | span / limit | CPU per item | allocated per item | peak working set |")
    .AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|");
foreach (var row in rows) table.AppendLine(row);
Console.WriteLine(table);
if (write is not null) WriteSection(write, items, latency, table.ToString());
return;

async Task<string> EngineAsync(int n, int c, bool warmUp)
{
    var dir = Path.Combine(Path.GetTempPath(), "promptstudio-bench", Guid.NewGuid().ToString("N"));
    Directory.CreateDirectory(dir);
    var services = new ServiceCollection()
        .AddStudioDatabase(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Default"] = Path.Combine(dir, "bench.db") }).Build())
        .BuildServiceProvider();
    await DatabaseSetup.MigrateAsync(services);
    await using var cache = new DbLlmResponseCache(services.GetRequiredService<IDbContextFactory<StudioDbContext>>(), TimeProvider.System,
        Microsoft.Extensions.Logging.Abstractions.NullLogger<DbLlmResponseCache>.Instance);

    // The whole pipeline: cache → usage/budget → provider limiter (c slots, a request rate far above need) → resilience.
    using var runtime = new ProviderRuntime(
        new ProviderSettings(1, "bench", ProviderKinds.OpenAICompatible, new Uri($"http://127.0.0.1:{port}/v1"), "key", ["bench"], "bench", c, 1_000_000,
            new Dictionary<string, ModelPrice> { ["bench"] = new(1m, 2m) }),
        new LlmPipelineOptions { AllowPrivateNetworks = true });
    if (args.Contains("--probe"))
    {
        await Probe.RunAsync(cache);
        server.Kill(entireProcessTree: true);
        Environment.Exit(0);
    }
    var chat = LlmPipeline.For(runtime, "bench", cache, new UsageMeter(0, 0, null, null));
    var evaluator = new CandidateEvaluator(chat, "bench", new MetricScorer([MetricSpec.Default]), c, 0.2);
    var prompt = new PromptText("You label numbers.", "Is {{n}} even or odd? Answer with one word. Item {{id}}.");
    var evalItems = Enumerable.Range(0, n).Select(i => new EvalItem(i, null, new Dictionary<string, string> { ["n"] = $"{i * 7919}", ["id"] = $"{i}" }, i % 2 == 0 ? "even" : "odd")).ToList();

    // Persistence is part of the measure: the run ends when every answer is committed.
    var result = await MeasureAsync(n, c, async () =>
    {
        await evaluator.EvaluateAsync(prompt, evalItems, CancellationToken.None);
        await cache.FlushAsync();
    }, "engine", warmUp);
    await services.DisposeAsync();
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    Directory.Delete(dir, recursive: true);
    return result;
}

async Task<string> BareAsync(int n, int c, bool warmUp)
{
    // What the issue compares with: a SemaphoreSlim(c) around the OpenAI SDK, nothing else.
    using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue });
    var chat = new OpenAIClient(new ApiKeyCredential("key"), new OpenAIClientOptions
    {
        Endpoint = new Uri($"http://127.0.0.1:{port}/v1"),
        Transport = new HttpClientPipelineTransport(client),
    }).GetChatClient("bench");
    using var gate = new SemaphoreSlim(c);
    return await MeasureAsync(n, c, () => Task.WhenAll(Enumerable.Range(0, n).Select(async i =>
    {
        await gate.WaitAsync();
        try
        {
            await chat.CompleteChatAsync([new OpenAI.Chat.SystemChatMessage("You label numbers."), new OpenAI.Chat.UserChatMessage($"Is {i * 7919} even or odd? Answer with one word. Item {i}.")]);
        }
        finally
        {
            gate.Release();
        }
    })), "bare SemaphoreSlim + OpenAI SDK", warmUp);
}

async Task<string> MeasureAsync(int n, int c, Func<Task> run, string name, bool warmUp)
{
    await http.PostAsync("/reset", null);
    GC.Collect();
    GC.WaitForPendingFinalizers();
    var me = Process.GetCurrentProcess();
    var cpu = me.TotalProcessorTime;
    var allocated = GC.GetTotalAllocatedBytes(precise: true);
    me.Refresh();
    var peakBefore = me.PeakWorkingSet64;

    await run();

    me.Refresh();
    var cpuPerItem = (me.TotalProcessorTime - cpu).TotalMilliseconds / n;
    var allocPerItem = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)n;
    var stats = (await http.GetFromJsonAsync<Stats>("/stats"))!;
    if (stats.Count != n) throw new InvalidOperationException($"The server saw {stats.Count} requests, not {n}.");
    var limit = Math.Ceiling(n / (double)c) * latency.TotalMilliseconds;
    var row = string.Create(CultureInfo.InvariantCulture,
        $"| {c} | {name} | {limit / 1000:0.000} s | {stats.SpanMs / 1000:0.000} s | {stats.SpanMs / limit:0.000}× | {cpuPerItem:0.000} ms | {allocPerItem / 1024:0.0} KB | {Math.Max(peakBefore, me.PeakWorkingSet64) / 1024 / 1024} MB |");
    if (!warmUp) Console.WriteLine(row + $" (max in flight {stats.MaxInFlight})");
    return row;
}

static int FreePort()
{
    using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    probe.Start();
    return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
}

static async Task WaitForServerAsync(HttpClient http)
{
    for (var i = 0; i < 200; i++)
    {
        try
        {
            await http.GetAsync("/stats");
            return;
        }
        catch (HttpRequestException)
        {
            await Task.Delay(50);
        }
    }
    throw new TimeoutException("The fake server did not start.");
}

int Option(string name, int fallback)
{
    var value = args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
    return value is null ? fallback : int.Parse(value, CultureInfo.InvariantCulture);
}

static void WriteSection(string path, int n, TimeSpan latency, string table)
{
    const string Heading = "## Engine throughput";
    var existing = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n";
    var start = existing.IndexOf(Heading, StringComparison.Ordinal);
    if (start >= 0)
    {
        var next = existing.IndexOf("\n## ", start + Heading.Length, StringComparison.Ordinal);
        existing = existing[..start] + (next < 0 ? "" : existing[(next + 1)..]);
    }
    var section = new StringBuilder()
        .AppendLine(Heading)
        .AppendLine()
        .AppendLine(CultureInfo.InvariantCulture, $"Evaluation of N = {n} items at a fixed server latency L = {latency.TotalMilliseconds:0} ms, {Environment.ProcessorCount} cores, measured {DateTime.UtcNow:yyyy-MM-dd}.")
        .AppendLine("`engine` is the whole evaluation path: template rendering, the IChatClient pipeline (persisted SQLite cache, usage and budget, provider")
        .AppendLine("limiter, HTTP resilience with retries, circuit breaker, per-attempt timeout and outbound address checks), the OpenAI SDK, and scoring.")
        .AppendLine("The fake server runs in its own process; CPU and memory are the engine process's own. Run it again with")
        .AppendLine("`dotnet run -c Release --project bench/PromptStudio.Bench -- --write docs/benchmarks.md`.")
        .AppendLine()
        .Append(table);
    File.WriteAllText(path, existing.TrimEnd() + "\n\n" + section);
}

internal sealed record Stats(int Count, double SpanMs, int MaxInFlight);

