using System.CommandLine;
using System.Text.Json;
using PromptStudio.Cli.Output;
using PromptStudio.Client;
using Spectre.Console;

namespace PromptStudio.Cli.Optimization;

public static class OptimizeCommands
{
    public static Command Build(CliHost host) => new("optimize", "Optimization jobs: follow, control and read their results")
    {
        Status(host),
        List(host),
        Control(host, "pause", "Pause a running job; all progress is kept", (c, id, ct) => c.PauseJobAsync(id, ct)),
        Control(host, "resume", "Resume a paused job after its last finished iteration", (c, id, ct) => c.ResumeJobAsync(id, ct)),
        Control(host, "cancel", "Cancel a queued, running or paused job for good", (c, id, ct) => c.CancelJobAsync(id, ct)),
        Results(host),
        Watch(host),
    };

    private static Argument<Guid> JobId() => new("jobId") { Description = "The job id (a GUID)" };

    /// <summary><c>prompts optimize start</c>.</summary>
    public static Command BuildStart(CliHost host)
    {
        var promptId = new Argument<int>("promptId") { Description = "The prompt version to optimize" };
        var dataset = new Option<int>("--dataset") { Description = "The dataset to score it on", Required = true };
        var maxIterations = new Option<int?>("--max-iterations") { Description = "1–100 (default 10)" };
        var targetScore = new Option<double?>("--target-score") { Description = "Stop once the best score reaches this (0–1)" };
        var patience = new Option<int?>("--patience") { Description = "Stop after this many iterations without improvement (1–50)" };
        var model = new Option<string?>("--model") { Description = "The model for mutation and evaluation (default: the workspace's)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Use the simulated model: no provider, no cost" };
        var tuning = new Option<string[]>("--tuning")
        {
            Description = "Tuning parameters as key=value (repeatable), e.g. --tuning seed=7 --tuning mutationStrength=0.5",
            AllowMultipleArgumentsPerToken = true,
        };
        tuning.Validators.Add(r =>
        {
            foreach (var bad in r.GetValueOrDefault<string[]>() ?? [])
            {
                if (bad.IndexOf('=', StringComparison.Ordinal) <= 0) r.AddError($"--tuning takes key=value pairs; '{bad}' has no key=.");
            }
        });
        var watch = new Option<bool>("--watch") { Description = "Follow the job until it ends (exit 0 only if it completes)" };
        var command = new Command("start", "Start an optimization job")
        {
            promptId, dataset, maxIterations, targetScore, patience, model, dryRun, tuning, watch,
        };
        return command.Handle(host, async ctx =>
        {
            var config = new OptimizationConfigDto(
                ctx.Get(maxIterations),
                ctx.Get(targetScore),
                ctx.Get(patience),
                ctx.Get(model),
                ctx.Get(dryRun) ? true : null,
                Tuning(ctx.Get(tuning)));
            var job = await ctx.Client.StartOptimizationAsync(new StartOptimizationRequest(ctx.Get(promptId), ctx.Get(dataset), config), ctx.CancellationToken);

            if (ctx.Json)
            {
                if (ctx.Get(watch)) ctx.WriteJsonLine(job);
                else ctx.WriteJson(job);
            }
            else
            {
                ctx.Console.MarkupLine($"Started job [bold]{job.Id}[/] ({Format.StatusMarkup(job.Status)}{(job.QueuePosition is { } p ? $", position {p} in the queue" : "")})");
                foreach (var warning in job.Warnings) ctx.Console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");
                if (!ctx.Get(watch)) ctx.Console.MarkupLine($"[grey]Follow it with:[/] promptstudio optimize watch {job.Id}");
            }
            return ctx.Get(watch) ? await JobWatch.RunAsync(ctx, job.Id) : ExitCodes.Success;
        });
    }

    /// <summary>key=value pairs; a value that reads as JSON (number, boolean, list, quoted string) is sent as such, any other as a string.</summary>
    public static Dictionary<string, JsonElement>? Tuning(string[]? pairs)
    {
        if (pairs is null || pairs.Length == 0) return null;
        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var split = pair.IndexOf('=', StringComparison.Ordinal);
            var key = pair[..split].Trim();
            var raw = pair[(split + 1)..].Trim();
            JsonElement value;
            try
            {
                value = JsonSerializer.Deserialize<JsonElement>(raw);
            }
            catch (JsonException)
            {
                value = JsonSerializer.SerializeToElement(raw);
            }
            result[key] = value;
        }
        return result;
    }

    private static Command Watch(CliHost host)
    {
        var id = JobId();
        return new Command("watch", "Follow a job live until it ends: progress, current and best score per iteration, state changes (Ctrl+C stops watching, not the job)") { id }
            .Handle(host, ctx => JobWatch.RunAsync(ctx, ctx.Get(id)));
    }

    private static Command Status(CliHost host)
    {
        var id = JobId();
        return new Command("status", "A job's state, progress and scores") { id }.Handle(host, async ctx =>
        {
            var job = await ctx.Client.GetJobAsync(ctx.Get(id), ctx.CancellationToken);
            if (ctx.Json)
            {
                ctx.WriteJson(job);
                return ExitCodes.Success;
            }
            var grid = new Grid().AddColumn().AddColumn();
            void Row(string name, string markup) => grid.AddRow(new Text(name), new Markup(markup));
            Row("job", $"[bold]{job.Id}[/]");
            Row("status", Format.StatusMarkup(job.Status) + (job.QueueReason is { } why ? $" [grey]({Markup.Escape(why)})[/]" : ""));
            Row("prompt / dataset", $"{job.PromptId} / {job.DatasetId}");
            Row("progress", $"{job.Progress}% (iteration {job.CurrentIteration}/{job.MaxIterations})");
            Row("scores", $"baseline {Format.Score(job.BaselineScore)} · current {Format.Score(job.CurrentScore)} · best {Format.Score(job.BestScore)}");
            if (job.StopReason is { } reason) Row("stop reason", Markup.Escape(reason));
            if (job.ResultPromptId is { } result) Row("result prompt", result.ToString());
            if (job.Error is { } error) Row("error", $"[red]{Markup.Escape(error)}[/]");
            Row("usage", $"{job.Usage.LlmCalls} LLM calls · {job.Usage.InputTokens + job.Usage.OutputTokens} tokens · ${job.Usage.CostUsd:0.####}");
            Row("allowed actions", job.AllowedActions.Count == 0 ? "none" : string.Join(", ", job.AllowedActions));
            Row("created", $"{Format.Time(job.CreatedAt)} by {Markup.Escape(job.CreatedBy)}");
            ctx.Console.Write(grid);
            foreach (var warning in job.Warnings) ctx.Console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");
            return ExitCodes.Success;
        });
    }

    private static Command List(CliHost host)
    {
        var status = new Option<string?>("--status") { Description = "Only jobs in this state" };
        status.AcceptOnlyFromAmong("queued", "running", "paused", "completed", "failed", "cancelled");
        var limit = new Option<int?>("--limit") { Description = "At most this many (1–500, default 50)" };
        return new Command("list", "Jobs, newest first") { status, limit }.Handle(host, async ctx =>
            ctx.WriteList(await ctx.Client.ListJobsAsync(ctx.Get(status), ctx.Get(limit), ctx.CancellationToken),
                "[grey]No jobs.[/]",
                ["Job", "Status", "Prompt", "Dataset", "Iteration", "Baseline", "Best", "Created"],
                j => [j.Id.ToString(), Format.StatusMarkup(j.Status), j.PromptId.ToString(), j.DatasetId.ToString(), $"{j.CurrentIteration}/{j.MaxIterations}",
                    Format.Score(j.BaselineScore), Format.Score(j.BestScore), Format.Time(j.CreatedAt)]));
    }

    private static Command Control(CliHost host, string action, string description, Func<PromptStudioClient, Guid, CancellationToken, Task<JobDto>> call)
    {
        var id = JobId();
        return new Command(action, description) { id }.Handle(host, async ctx =>
        {
            var job = await call(ctx.Client, ctx.Get(id), ctx.CancellationToken);
            if (ctx.Json) ctx.WriteJson(job);
            else
                ctx.Console.MarkupLine($"Job {job.Id} is {Format.StatusMarkup(job.Status)} (iteration {job.CurrentIteration}/{job.MaxIterations}, best {Format.Score(job.BestScore)}); " +
                    $"allowed actions: {(job.AllowedActions.Count == 0 ? "none" : string.Join(", ", job.AllowedActions))}");
            return ExitCodes.Success;
        });
    }

    private static Command Results(CliHost host)
    {
        var id = JobId();
        var diff = new Option<bool>("--diff") { Description = "Show the best prompt as a diff against the original" };
        var items = new Option<bool>("--items") { Description = "Include every item's result (JSON output)" };
        return new Command("results", "A job's scorecard: baseline, final score, improvement, per-iteration scores, the result prompt") { id, diff, items }.Handle(host, async ctx =>
        {
            var results = await ctx.Client.GetJobResultsAsync(ctx.Get(id), ctx.Get(items), ctx.CancellationToken);
            if (ctx.Json)
            {
                ctx.WriteJson(results);
                return ExitCodes.Success;
            }
            var console = ctx.Console;
            console.MarkupLine($"Job [bold]{results.JobId}[/]: {Format.StatusMarkup(results.Status)}{(results.StopReason is { } r ? $" ({Markup.Escape(r)})" : "")}");
            console.MarkupLine($"  baseline {Format.Score(results.BaselineScore)} → final {Format.Score(results.FinalScore)} (improvement {Format.Signed(results.Improvement)})");
            if (results.HeldOut is { } held)
                console.MarkupLine($"  held-out ({held.Items} items): baseline {Format.Score(held.BaselineScore)} → best {Format.Score(held.BestScore)}{(held.Warning is { } w ? $" [yellow]{Markup.Escape(w)}[/]" : "")}");
            console.MarkupLine(results.ResultPromptId is { } resultId
                ? $"  result prompt: [bold]{resultId}[/] (promptstudio prompts show {resultId})"
                : "  result prompt: none (no new version saved)");
            console.MarkupLine($"  usage: {results.Usage.LlmCalls} LLM calls, ${results.Usage.CostUsd:0.####}");

            var table = Format.Table("Iteration", "Best so far", "Iteration best", "Candidates", "Rejected");
            foreach (var it in results.Iterations)
            {
                var scored = it.Candidates.Where(c => c.Score is not null).ToList();
                table.Row(it.Iteration == 0 ? "0 (baseline)" : it.Iteration.ToString(), Format.Score(it.BestScore),
                    Format.Score(scored.Count == 0 ? null : scored.Max(c => c.Score)), it.Candidates.Count.ToString(),
                    it.Candidates.Count(c => c.RejectedReason is not null).ToString());
            }
            console.Write(table);

            if (ctx.Get(diff))
            {
                if (results.BestPrompt is null)
                {
                    console.MarkupLine("[grey]No best prompt yet.[/]");
                }
                else
                {
                    if (results.OriginalSystemPrompt is not null || results.BestSystemPrompt is not null)
                        PromptDiff.Write(console, "system prompt (original → best)", results.OriginalSystemPrompt, results.BestSystemPrompt);
                    PromptDiff.Write(console, "template (original → best)", results.OriginalPrompt, results.BestPrompt);
                }
            }
            return ExitCodes.Success;
        });
    }
}
