namespace PromptStudio.Core.Optimization;

/// <summary>
/// Where the optimizer reports progress. The host persists checkpoints and events here; each method that
/// returns must have made its checkpoint durable, because the run trusts it when it resumes.
/// </summary>
public interface IOptimizationObserver
{
    ValueTask IterationStartedAsync(int iteration, CancellationToken cancellationToken);

    /// <summary>Durability point: the iteration's candidates (with rejections) are saved before any is evaluated.</summary>
    ValueTask CandidatesProposedAsync(int iteration, IReadOnlyList<CandidateRecord> candidates, LlmUsage usage, CancellationToken cancellationToken);

    ValueTask EvaluationStartedAsync(CandidateRecord candidate, CancellationToken cancellationToken);

    /// <summary>Durability point: one candidate's evaluation is saved and never redone.</summary>
    ValueTask CandidateEvaluatedAsync(CandidateRecord candidate, CancellationToken cancellationToken);

    /// <summary>Durability point: the iteration is finished; a resume starts with the next one.</summary>
    ValueTask IterationCompletedAsync(IterationSummary summary, CancellationToken cancellationToken);
}

/// <summary>
/// Thrown by an observer to end a run cleanly for a reason outside the search (a quota or budget): the run
/// finishes with its best candidate so far and this stop reason.
/// </summary>
public sealed class StopOptimizationException(string stopReason, string message) : Exception(message)
{
    public string StopReason { get; } = stopReason;
}
