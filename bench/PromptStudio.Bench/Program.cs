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
var repeat = Option("--repeat", 3);
var warmUpItems = Option("--warmup", 1000);
var write = Text("--write");
var levels = (Text("--c") ?? "1,8,32,64").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
var loops = (Text("--loops") ?? "engine,bare").Split(',');
var port = FreePort();

// The same executable in server mode (through `dotnet` when run as a dll).
var host = Environment.ProcessPath!;
string[] serverArgs = Path.GetFileNameWithoutExtension(host) == "dotnet"
    ? [typeof(FakeServer).Assembly.Location, "serve", $"{port}", $"{latency.TotalMilliseconds}"]
    : ["serve", $"{port}", $"{latency.TotalMilliseconds}"];
using var server = Process.Start(new ProcessStartInfo(host, serverArgs) { UseShellExecute = false, RedirectStandardInput = true })!;
using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
await WaitForServerAsync(http);

using var jitLog = args.Contains("--jit-log") ? new JitLog() : null;
var runs = new List<Run>();
var loadBefore = LoadAverage();
try
{
    Console.WriteLine($"N = {items} items, latency L = {latency.TotalMilliseconds:0} ms, {Environment.ProcessorCount} cores, {repeat} runs per row, load average {loadBefore}");
    // Warm-up, not counted: the SQLite file, the thread pool, and the JIT. With tiered PGO a method goes through
    // an instrumented tier before its final code, and on 2 busy cores that takes many passes: measuring before the
    // JIT is quiet counts compilation (hundreds of ms) and instrumented code as the engine's CPU. So warm up until a
    // pass compiles fewer than 50 methods (at most 20 passes), and say how many passes it took.
    for (var pass = 1; ; pass++)
    {
        var before = System.Runtime.JitInfo.GetCompiledMethodCount();
        if (loops.Contains("engine")) await EngineAsync(warmUpItems, 32, warmUp: true);
        if (loops.Contains("bare")) await BareAsync(warmUpItems, 32, warmUp: true);
        await Task.Delay(500);
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount() - before;
        if (compiled < 50 || pass == 20)
        {
            Console.WriteLine($"warm-up: {pass} passes of {warmUpItems} items; the last one compiled {compiled} methods");
            break;
        }
    }
    JitLog.Recording = true;
    foreach (var c in levels)
    {
        // Engine and bare loop alternate, so that both see the same machine load.
        for (var r = 0; r < repeat; r++)
        {
            if (loops.Contains("engine")) runs.Add((await EngineAsync(items, c, warmUp: false))!);
            if (loops.Contains("bare")) runs.Add((await BareAsync(items, c, warmUp: false))!);
        }
    }
}
finally
{
    server.Kill(entireProcessTree: true);
}
var loadAfter = LoadAverage();
foreach (var (method, count) in JitLog.Methods.OrderByDescending(kv => kv.Value).Take(60)) Console.WriteLine($"jit {count,5} {method}");

var table = new StringBuilder()
    .AppendLine("| c | loop | limit ⌈N/c⌉·L | span seen by server (median) | span / limit: median (min–max) | span / ⌈N/c⌉·A | CPU per item: median (min–max) | voluntary context switches per item | allocated per item | managed heap, peak | working set, peak | server: mean answer time A, CPU per request |")
    .AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var group in runs.GroupBy(r => (r.C, r.Loop)))
{
    var g = group.ToList();
    var (c, loop) = group.Key;
    var limit = Math.Ceiling(items / (double)c) * latency.TotalMilliseconds;
    table.AppendLine(string.Create(CultureInfo.InvariantCulture,
        $"| {c} | {loop} | {limit / 1000:0.000} s | {Median(g, r => r.SpanMs) / 1000:0.000} s | **{Median(g, r => r.SpanMs) / limit:0.000}×** ({g.Min(r => r.SpanMs) / limit:0.000}–{g.Max(r => r.SpanMs) / limit:0.000}) | {Median(g, r => r.SpanMs / (Math.Ceiling(items / (double)c) * r.ServerMeanAnswerMs)):0.000}× | **{Median(g, r => r.CpuMsPerItem):0.000} ms** ({g.Min(r => r.CpuMsPerItem):0.000}–{g.Max(r => r.CpuMsPerItem):0.000}) | {Median(g, r => r.SwitchesPerItem):0.0} | {Median(g, r => r.AllocatedPerItem) / 1024:0.0} KB | {g.Max(r => r.PeakHeapBytes) / 1024 / 1024:0} MB | {g.Max(r => r.PeakWorkingSetBytes) / 1024 / 1024:0} MB | {Median(g, r => r.ServerMeanAnswerMs):0.00} ms, {Median(g, r => r.ServerCpuMsPerRequest):0.000} ms |"));
}
Console.WriteLine(table);
Console.WriteLine($"load average before {loadBefore}, after {loadAfter}; working set at the end {Environment.WorkingSet / 1024 / 1024} MB");
if (write is not null) WriteSection(write, items, latency, repeat, $"{loadBefore}; after: {loadAfter}", table.ToString());
return;

async Task<Run?> EngineAsync(int n, int c, bool warmUp)
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

async Task<Run?> BareAsync(int n, int c, bool warmUp)
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

async Task<Run?> MeasureAsync(int n, int c, Func<Task> run, string name, bool warmUp)
{
    await http.PostAsync("/reset", null);
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    var me = Process.GetCurrentProcess();
    var jit = System.Runtime.JitInfo.GetCompilationTime();
    var jitted = System.Runtime.JitInfo.GetCompiledMethodCount();
    var cpu = me.TotalProcessorTime;
    var switches = ContextSwitches();
    var allocated = GC.GetTotalAllocatedBytes(precise: true);
    long peakHeap = 0;
    long peakWorkingSet = 0;
    // Sampled ten times a second: a faster timer would itself add wake-ups to the CPU being measured.
    using var sampler = new Timer(_ =>
    {
        InterlockedMax(ref peakHeap, GC.GetTotalMemory(false));
        InterlockedMax(ref peakWorkingSet, Environment.WorkingSet);
    }, null, 0, 100);

    await run();

    me.Refresh();
    var cpuPerItem = (me.TotalProcessorTime - cpu).TotalMilliseconds / n;
    var switchesPerItem = (ContextSwitches() - switches) / (double)n;
    var allocPerItem = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)n;
    var jitMs = (System.Runtime.JitInfo.GetCompilationTime() - jit).TotalMilliseconds;
    jitted = System.Runtime.JitInfo.GetCompiledMethodCount() - jitted;
    InterlockedMax(ref peakHeap, GC.GetTotalMemory(false));
    InterlockedMax(ref peakWorkingSet, Environment.WorkingSet);
    var stats = (await http.GetFromJsonAsync<Stats>("/stats"))!;
    if (stats.Count != n) throw new InvalidOperationException($"The server saw {stats.Count} requests, not {n}.");
    if (warmUp) return null;
    var limit = Math.Ceiling(n / (double)c) * latency.TotalMilliseconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"c={c,-3} {name,-32} span {stats.SpanMs / 1000:0.000} s = {stats.SpanMs / limit:0.000}× limit; CPU {cpuPerItem:0.000} ms/item  (JIT {jitted} methods, {jitMs:0} ms), {switchesPerItem:0.0} voluntary context switches/item; {allocPerItem / 1024:0.0} KB/item; heap peak {peakHeap / 1024 / 1024} MB, working set peak {peakWorkingSet / 1024 / 1024} MB; " +
        $"server: answer {stats.MeanAnswerMs:0.00} ms, CPU {stats.CpuMs / n:0.000} ms/request, max in flight {stats.MaxInFlight}; load {LoadAverage()}"));
    return new Run(c, name, stats.SpanMs, cpuPerItem, switchesPerItem, allocPerItem, peakHeap, peakWorkingSet, stats.MeanAnswerMs, stats.CpuMs / n);
}

static void InterlockedMax(ref long target, long value)
{
    var seen = Volatile.Read(ref target);
    while (value > seen)
    {
        var was = Interlocked.CompareExchange(ref target, value, seen);
        if (was == seen) return;
        seen = was;
    }
}

static double Median(List<Run> runs, Func<Run, double> of)
{
    var sorted = runs.Select(of).Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

// Every thread hop that finds no thread awake costs a wake-up and a (voluntary) context switch; on this VM that is much of
// the CPU at low concurrency. getrusage counts them for the whole process, threads that ended included.
static long ContextSwitches()
{
    if (!OperatingSystem.IsLinux()) return 0;
    var usage = new RUsage();
    return Native.getrusage(0, ref usage) == 0 ? usage.NVcsw : 0;
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

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

int Option(string name, int fallback) => Text(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

string? Text(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

// The generated table goes between two markers inside "## Engine throughput", so the hand-written reading of it stays.
static void WriteSection(string path, int n, TimeSpan latency, int repeat, string load, string table)
{
    const string Begin = "<!-- engine-throughput:begin (written by bench/PromptStudio.Bench --write) -->";
    const string End = "<!-- engine-throughput:end -->";
    var block = new StringBuilder()
        .AppendLine(Begin)
        .AppendLine(CultureInfo.InvariantCulture, $"N = {n} items, L = {latency.TotalMilliseconds:0} ms, {Environment.ProcessorCount} cores, {repeat} runs per row (engine and bare loop alternating), measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load average before: {load}.")
        .AppendLine()
        .Append(table)
        .Append(End)
        .ToString();
    var existing = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n";
    var start = existing.IndexOf(Begin, StringComparison.Ordinal);
    var end = existing.IndexOf(End, StringComparison.Ordinal);
    existing = start >= 0 && end > start
        ? existing[..start] + block + existing[(end + End.Length)..]
        : existing.TrimEnd() + "\n\n## Engine throughput\n\n" + block + "\n";
    File.WriteAllText(path, existing);
}

internal static partial class Native
{
    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
    internal static partial int getrusage(int who, ref RUsage usage);
}

[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
internal struct RUsage
{
    public long UTimeSec, UTimeUsec, STimeSec, STimeUsec;
    public long MaxRss, IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NVcsw, NIvcsw;
}

internal sealed record Stats(int Count, double SpanMs, int MaxInFlight, double MeanAnswerMs, double CpuMs);

internal sealed record Run(int C, string Loop, double SpanMs, double CpuMsPerItem, double SwitchesPerItem, double AllocatedPerItem, long PeakHeapBytes, long PeakWorkingSetBytes, double ServerMeanAnswerMs, double ServerCpuMsPerRequest);

