using System.Text.Json;
using PromptStudio.Cli.Output;
using PromptStudio.Client;
using Spectre.Console;

namespace PromptStudio.Cli.Optimization;

/// <summary>
/// <c>optimize watch</c>: follows a job's events until it ends. Each finished iteration prints a line with its
/// progress, the iteration's best (current) score and the job's best score; state changes print as they happen. On a
/// terminal a live progress bar sits below the lines. Ctrl+C stops watching and leaves the job running.
/// </summary>
public static class JobWatch
{
    public static async Task<int> RunAsync(CommandContext ctx, Guid jobId)
    {
        var job = await ctx.Client.GetJobAsync(jobId, ctx.CancellationToken);
        var view = new WatchView(ctx.Console, job);
        string? terminal = null;
        try
        {
            if (ctx.Json)
            {
                await foreach (var e in ctx.Client.WatchAsync(jobId, 0, ctx.CancellationToken))
                {
                    ctx.WriteJsonLine(e);
                    if (e.IsTerminal()) terminal = e.Type;
                }
            }
            else if (ctx.Console.Profile.Capabilities.Interactive)
            {
                view.Header();
                await ctx.Console.Progress()
                    .AutoClear(true)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
                    .StartAsync(async progress =>
                    {
                        var bar = progress.AddTask(view.Description, maxValue: 100);
                        await foreach (var e in ctx.Client.WatchAsync(jobId, 0, ctx.CancellationToken))
                        {
                            view.Apply(e);
                            bar.Description = Markup.Escape(view.Description);
                            bar.Value = view.Percent;
                            if (e.IsTerminal()) terminal = e.Type;
                        }
                        bar.StopTask();
                    });
            }
            else
            {
                view.Header();
                await foreach (var e in ctx.Client.WatchAsync(jobId, 0, ctx.CancellationToken))
                {
                    view.Apply(e);
                    if (e.IsTerminal()) terminal = e.Type;
                }
            }
        }
        catch (OperationCanceledException) when (ctx.CancellationToken.IsCancellationRequested)
        {
            // Ctrl+C ends the watch, never the job: say where it stands and how to pick it up again.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var now = await ctx.Client.GetJobAsync(jobId, timeout.Token);
            if (ctx.Json) ctx.WriteJsonLine(new { stoppedWatching = true, job = now });
            else ctx.Console.MarkupLine($"Stopped watching. Job {jobId} is {Format.StatusMarkup(now.Status)}; watch again with: promptstudio optimize watch {jobId}");
            return ExitCodes.Interrupted;
        }

        var final = await ctx.Client.GetJobAsync(jobId, ctx.CancellationToken);
        if (!ctx.Json) view.Summary(final);
        var completed = terminal is null ? final.Status == "completed" : terminal == "job_complete";
        return completed ? ExitCodes.Success : ExitCodes.Failure;
    }

    /// <summary>What the watch has seen so far and how it prints it.</summary>
    private sealed class WatchView(IAnsiConsole console, JobDto job)
    {
        private int _maxIterations = job.MaxIterations;
        private int _iteration;
        private int _completedIterations;
        private double? _current = job.CurrentScore;
        private double? _best = job.BestScore;
        private double? _baseline = job.BaselineScore;

        public string Description => $"iteration {_iteration}/{_maxIterations} · current {Format.Score(_current)} · best {Format.Score(_best)}";

        public double Percent => _maxIterations == 0 ? 0 : Math.Min(100, 100.0 * _completedIterations / _maxIterations);

        public void Header() =>
            console.MarkupLine($"Watching job [bold]{job.Id}[/] (prompt {job.PromptId}, dataset {job.DatasetId}, up to {job.MaxIterations} iterations) — {Format.StatusMarkup(job.Status)}. Ctrl+C stops watching, not the job.");

        public void Apply(JobEventDto e)
        {
            var data = e.Data;
            switch (e.Type)
            {
                case "job_queued":
                    State("queued", null);
                    break;
                case "job_started":
                    State("running", Text(data, "model") is { } model ? $"model {model}{(Bool(data, "dryRun") == true ? ", simulated (dryRun)" : "")}" : null);
                    break;
                case "iteration_start":
                    _iteration = e.Iteration ?? _iteration;
                    if (Int(data, "maxIterations") is { } max) _maxIterations = max;
                    break;
                case "evaluation_complete":
                    _current = Number(data, "score") ?? _current;
                    break;
                case "iteration_complete":
                    IterationLine(e.Iteration ?? _iteration, data);
                    break;
                case "job_paused":
                    State("paused", $"after iteration {Int(data, "completedIterations") ?? _completedIterations}; best {Format.Score(Number(data, "bestScore") ?? _best)}");
                    break;
                case "job_resumed":
                    State("running", "resumed");
                    break;
                case "job_complete":
                    _completedIterations = _maxIterations;
                    State("completed", $"stopped: {Text(data, "stopReason") ?? "done"}");
                    break;
                case "job_failed":
                    State("failed", Text(data, "error"));
                    break;
                case "job_cancelled":
                    State("cancelled", $"best {Format.Score(Number(data, "bestScore") ?? _best)}");
                    break;
                default:
                    break;
            }
        }

        private void IterationLine(int iteration, JsonElement data)
        {
            var previousBest = _best;
            _best = Number(data, "bestScore") ?? _best;
            _current = Number(data, "iterationBestScore") ?? _current;
            _completedIterations = iteration;
            var improved = Bool(data, "improved") == true;
            if (iteration == 0)
            {
                _baseline = _best;
                console.MarkupLine($"  baseline            score {Format.Score(_best)}");
                return;
            }
            var marker = improved ? $"  [green]▲ new best ({Format.Signed(_best - previousBest)})[/]" : "";
            var rejected = Int(data, "rejected") is > 0 and var r ? $"  [grey]{r} rejected[/]" : "";
            console.MarkupLine($"  [[{Percent,3:0}%]] iteration {iteration,3}/{_maxIterations}  current {Format.Score(_current)}  best {Format.Score(_best)}{marker}{rejected}");
        }

        private void State(string status, string? detail) =>
            console.MarkupLine($"● {Format.StatusMarkup(status)}{(detail is null ? "" : " — " + Markup.Escape(detail))}");

        public void Summary(JobDto final)
        {
            var lines = new List<string>
            {
                $"Job {final.Id}: {Format.StatusMarkup(final.Status)}" + (final.StopReason is { } reason ? $" ({Markup.Escape(reason)})" : ""),
                $"  baseline {Format.Score(final.BaselineScore ?? _baseline)} → best {Format.Score(final.BestScore)} ({Format.Signed(final.BestScore - (final.BaselineScore ?? _baseline))})",
            };
            if (final.ResultPromptId is { } resultId) lines.Add($"  saved as prompt version [bold]{resultId}[/]: promptstudio prompts show {resultId}");
            else if (final.Status == "completed") lines.Add("  no better prompt was found; no new version was saved");
            if (final.Error is { } error) lines.Add($"  [red]{Markup.Escape(error)}[/]");
            foreach (var line in lines) console.MarkupLine(line);
        }

        private static JsonElement? Get(JsonElement data, string name) =>
            data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

        private static double? Number(JsonElement data, string name) => Get(data, name) is { ValueKind: JsonValueKind.Number } v ? v.GetDouble() : null;

        private static int? Int(JsonElement data, string name) => Get(data, name) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt32(out var i) ? i : null;

        private static bool? Bool(JsonElement data, string name) => Get(data, name) is { } v && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

        private static string? Text(JsonElement data, string name) => Get(data, name) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;
    }
}
