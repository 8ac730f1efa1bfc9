using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Workspaces;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace PromptStudio.E2E;

/// <summary>
/// Measurements for docs/benchmarks.md ("Dashboard latency"), not a pass/fail test: it runs only with
/// PROMPTSTUDIO_BENCH=1 and writes its numbers to artifacts/bench/dashboard-latency.md.
/// <list type="number">
/// <item>Worker to screen: a real dryRun job runs while its page is open; for every event that reaches the
/// page live, the time its row appeared in the browser minus the event's timestamp (taken by the worker when
/// it records the event, just before the checkpoint that stores and publishes it).</item>
/// <item>Absorption: synthetic events (the real per-iteration mix) are published on the in-process bus for a
/// finished job's page at rising rates; for each rate, how late rows appear, and whether the lag stays flat
/// (the page keeps up) or grows with time (redraws fall behind).</item>
/// </list>
/// Same machine, same clock: the browser's performance.timeOrigin + now() and the server's UtcNow.
/// </summary>
public sealed class DashboardBenchmark(StudioApp app) : BrowserTest(app)
{
    private static readonly int[] Rates = Environment.GetEnvironmentVariable("PROMPTSTUDIO_BENCH_RATES") is { Length: > 0 } rates
        ? rates.Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray()
        : [100, 250, 500, 1000, 2000, 4000, 8000];
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(5);

    private const string RecordArrivals = """
        () => {
          window.__arrivals = [];
          const log = document.querySelector('[data-testid=event-log]');
          new MutationObserver(records => {
            const t = performance.timeOrigin + performance.now();
            for (const r of records) for (const n of r.addedNodes)
              if (n.nodeType === 1 && n.dataset.eventId) window.__arrivals.push([Number(n.dataset.eventId), t]);
          }).observe(log, { childList: true });
        }
        """;

    [Fact]
    public async Task Benchmark_MeasuresEventToScreenLatency_AndTheRateAJobPageAbsorbs()
    {
        Assert.SkipUnless(Environment.GetEnvironmentVariable("PROMPTSTUDIO_BENCH") == "1", "Set PROMPTSTUDIO_BENCH=1 to run the dashboard benchmark.");
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, headless Chromium; load average at start {LoadAverage()}.");

        if (Environment.GetEnvironmentVariable("PROMPTSTUDIO_BENCH_SKIP_JOB") != "1") await MeasureWorkerToScreenAsync(report);
        await MeasureAbsorptionAsync(report);

        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"Load average at the end: {LoadAverage()}.");
        var folder = Path.Combine(PlaywrightSettings.RepositoryRoot(), "artifacts", "bench");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "dashboard-latency.md"), report.ToString(), Ct);
        TestContext.Current.SendDiagnosticMessage(report.ToString());
    }

    private async Task MeasureWorkerToScreenAsync(StringBuilder report)
    {
        var jobs = App.Services.GetRequiredService<JobService>();
        var job = await App.StartDryRunJobAsync(maxIterations: 12, latencyMs: 100);
        // When each event was published: right after the checkpoint that stored it committed.
        var publishedAt = new System.Collections.Concurrent.ConcurrentDictionary<long, double>();
        using var subscription = App.Services.GetRequiredService<JobEventBus>().SubscribeJob(job.Id, e => publishedAt.TryAdd(e.Id, NowMs()));
        await OpenAsync($"/jobs/{job.Id}");
        await Page.EvaluateAsync(RecordArrivals);
        var before = await Page.EvaluateAsync<long>("() => Math.max(0, ...[...document.querySelectorAll('[data-testid=event-row]')].map(r => Number(r.dataset.eventId)))");

        await Expect(ByTestId("job-state")).ToHaveTextAsync("completed", new() { Timeout = 120_000 });
        var last = (await jobs.GetAsync(DefaultWorkspace.Id, job.Id, Ct)).LastEventId;
        await Page.WaitForFunctionAsync($"() => window.__arrivals.some(a => a[0] === {last})");

        var arrivals = await ArrivalsAsync();
        var events = (await jobs.GetEventsAsync(DefaultWorkspace.Id, job.Id, before, 5000, Ct)).Where(e => arrivals.ContainsKey(e.Id)).ToList();
        var fromTimestamp = events.Select(e => arrivals[e.Id] - (e.Timestamp.UtcDateTime - DateTime.UnixEpoch).TotalMilliseconds).Order().ToList();
        var fromPublish = events.Where(e => publishedAt.ContainsKey(e.Id)).Select(e => arrivals[e.Id] - publishedAt[e.Id]).Order().ToList();
        report.AppendLine();
        report.AppendLine("## Worker to screen (real dryRun job, 12 iterations, 100 ms simulated latency)");
        report.AppendLine("| from | events | median ms | p95 ms | max ms |");
        report.AppendLine("|---|---|---|---|---|");
        report.AppendLine(CultureInfo.InvariantCulture, $"| the event's timestamp (worker records it) | {fromTimestamp.Count} | {Percentile(fromTimestamp, 0.5):0} | {Percentile(fromTimestamp, 0.95):0} | {fromTimestamp[^1]:0} |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| its publication (checkpoint committed) | {fromPublish.Count} | {Percentile(fromPublish, 0.5):0} | {Percentile(fromPublish, 0.95):0} | {fromPublish[^1]:0} |");
    }

    private async Task MeasureAbsorptionAsync(StringBuilder report)
    {
        var bus = App.Services.GetRequiredService<JobEventBus>();
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"## Absorption (synthetic events on the bus, {Phase.TotalSeconds:0} s per rate)");
        report.AppendLine("| events/s offered | rows shown | median lag ms | p95 lag ms | lag first second ms | lag last second ms | last event on screen after ms |");
        report.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var rate in Rates)
        {
            var job = await App.StartDryRunJobAsync(maxIterations: 1, latencyMs: 0);
            await OpenAsync($"/jobs/{job.Id}");
            await Expect(ByTestId("job-state")).ToHaveTextAsync("completed", new() { Timeout = 60_000 });
            var first = (await App.Services.GetRequiredService<JobService>().GetAsync(DefaultWorkspace.Id, job.Id, Ct)).LastEventId + 1;
            await Page.EvaluateAsync(RecordArrivals);

            var published = await PublishAsync(bus, job.Id, first, rate);
            var last = published.Keys.Max();
            await Page.WaitForFunctionAsync($"() => window.__arrivals.some(a => a[0] === {last})", null, new() { Timeout = 120_000 });
            var arrivals = await ArrivalsAsync();

            var lags = arrivals.Where(a => published.ContainsKey(a.Key)).Select(a => (Id: a.Key, Lag: a.Value - published[a.Key])).OrderBy(a => a.Id).ToList();
            var start = published.Values.Min();
            var sorted = lags.Select(l => l.Lag).Order().ToList();
            var firstSecond = lags.Where(l => published[l.Id] - start < 1000).Select(l => l.Lag).DefaultIfEmpty().Max();
            var lastSecond = lags.Where(l => published[l.Id] - start >= Phase.TotalMilliseconds - 1000).Select(l => l.Lag).DefaultIfEmpty().Max();
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {rate} | {lags.Count} | {Percentile(sorted, 0.5):0} | {Percentile(sorted, 0.95):0} | {firstSecond:0} | {lastSecond:0} | {arrivals[last] - published[last]:0} |");
        }
    }

    /// <summary>Publishes the per-iteration event mix at <paramref name="rate"/> for one phase; returns each id's publish time (epoch ms).</summary>
    private static async Task<Dictionary<long, double>> PublishAsync(JobEventBus bus, Guid jobId, long firstId, int rate)
    {
        var times = new Dictionary<long, double>();
        var clock = Stopwatch.StartNew();
        var id = firstId;
        await Task.Run(async () =>
        {
            while (clock.Elapsed < Phase)
            {
                var due = (long)(rate * clock.Elapsed.TotalSeconds);
                while (id - firstId < due)
                {
                    var e = Synthetic(jobId, id);
                    times[id] = NowMs();
                    bus.Publish([e]);
                    id++;
                }
                await Task.Delay(1);
            }
        });
        return times;
    }

    private static readonly string[] Mix =
    [
        JobEventTypes.IterationStart, JobEventTypes.MutationGenerated, JobEventTypes.MutationGenerated, JobEventTypes.MutationGenerated,
        JobEventTypes.EvaluationStart, JobEventTypes.EvaluationComplete, JobEventTypes.EvaluationStart, JobEventTypes.EvaluationComplete,
        JobEventTypes.EvaluationStart, JobEventTypes.EvaluationComplete, JobEventTypes.NewBest, JobEventTypes.IterationComplete,
    ];

    /// <summary>The n-th event of an endless run; iterations wrap at 100, the most a job may have, so the chart stays job-sized.</summary>
    private static JobEventDto Synthetic(Guid jobId, long id)
    {
        var type = Mix[id % Mix.Length];
        var iteration = (int)(id / Mix.Length % 100) + 1;
        var score = 0.3 + 0.6 * ((id * 7919) % 1000) / 1000.0;
        object data = type switch
        {
            JobEventTypes.IterationStart => new { iteration, maxIterations = 100 },
            JobEventTypes.MutationGenerated => new { index = 1, mutationKind = "add_instruction", template = "Answer in one word.\n{{review}}" },
            JobEventTypes.EvaluationStart => new { index = 1, mutationKind = "add_instruction" },
            JobEventTypes.EvaluationComplete => new { index = 1, mutationKind = "add_instruction", score, passed = 10, items = 16 },
            JobEventTypes.NewBest => new { index = 1, mutationKind = "add_instruction", score, improvement = 0.01, template = $"Answer in one word ({id}).\n{{{{review}}}}" },
            _ => new { iteration, bestScore = score, iterationBestScore = score },
        };
        return new JobEventDto(id, jobId, type, iteration, "bench", JsonSerializer.SerializeToElement(data), DateTimeOffset.UtcNow);
    }

    private async Task<Dictionary<long, double>> ArrivalsAsync()
    {
        var pairs = await Page.EvaluateAsync<double[][]>("() => window.__arrivals");
        return pairs.GroupBy(p => (long)p[0]).ToDictionary(g => g.Key, g => g.Min(p => p[1]));
    }

    /// <summary>The 1-minute load average: other work on the machine shows up in every number above.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private static double NowMs() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;

    private static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
