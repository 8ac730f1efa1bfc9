using System.Text.Json;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Components.Shared;
using static PromptStudio.Web.Components.Pages.Jobs.JobLiveModel;

namespace PromptStudio.Web.Components.Pages.Jobs;

/// <summary>One line of plain language per job event, for the event log.</summary>
public static class EventText
{
    public static string Describe(JobEventDto e)
    {
        var d = e.Data;
        var index = Number(d, "index");
        var kind = Text(d, "mutationKind");
        var candidate = index is { } i ? $"candidate {i:0}" + (kind is null ? "" : $" ({kind})") : "the baseline";
        return e.Type switch
        {
            JobEventTypes.JobQueued => "Queued.",
            JobEventTypes.JobStarted => Number(d, "resumedAfterIteration") is { } after
                ? $"Started again after iteration {after:0} with {Text(d, "model")}."
                : $"Started with {Text(d, "model")}{(d.TryGetProperty("dryRun", out var dry) && dry.ValueKind == JsonValueKind.True ? " (dry run)" : "")}.",
            JobEventTypes.IterationStart => e.Iteration == 0 ? "Scoring the baseline." : $"Iteration {e.Iteration} of {Number(d, "maxIterations"):0} started.",
            JobEventTypes.MutationGenerated => Text(d, "rejectedReason") is { } reason
                ? $"Proposed {candidate}; rejected: {reason}."
                : $"Proposed {candidate}.",
            JobEventTypes.EvaluationStart => e.Iteration == 0 ? "Evaluating the baseline." : $"Evaluating {candidate}.",
            JobEventTypes.EvaluationComplete => $"{(e.Iteration == 0 ? "The baseline" : Capitalize(candidate))} scored {Formats.Score(Number(d, "score"))}"
                + (Number(d, "items") is { } items ? $" ({Number(d, "passed"):0} of {items:0} items passed)." : "."),
            JobEventTypes.NewBest => $"New best {Formats.Score(Number(d, "score"))} ({Formats.Delta(Number(d, "improvement"))}) from {candidate}.",
            JobEventTypes.IterationComplete => e.Iteration == 0
                ? $"Baseline {Formats.Score(Number(d, "bestScore"))}."
                : $"Iteration {e.Iteration} done: best {Formats.Score(Number(d, "bestScore"))}, this iteration {Formats.Score(Number(d, "iterationBestScore"))}.",
            JobEventTypes.JobPaused => "Paused.",
            JobEventTypes.JobResumed => "Resumed; waiting for a worker.",
            JobEventTypes.JobComplete => $"Completed: {Formats.StopReason(Text(d, "stopReason"))}; best {Formats.Score(Number(d, "bestScore"))} ({Formats.Delta(Number(d, "improvement"))} over the baseline).",
            JobEventTypes.JobFailed => $"Failed: {Text(d, "error")}",
            JobEventTypes.JobCancelled => "Cancelled.",
            _ => e.Type,
        };
    }

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
