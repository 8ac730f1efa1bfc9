using PromptStudio.Core.Optimization;
using PromptStudio.Core.Prompts;

namespace PromptStudio.Core.Tests.Optimization;

/// <summary>The part of a run's progress that the optimizer resumes from.</summary>
internal sealed record Checkpoint(IReadOnlyList<CandidateRecord> Candidates, IReadOnlySet<int> CompletedIterations)
{
    public IEnumerable<(int, int)> EvaluatedKeys => Candidates.Where(c => c.IsEvaluated).Select(c => (c.Iteration, c.Index));
}

public enum DurabilityPoint
{
    CandidatesProposed,
    CandidateEvaluated,
    IterationCompleted,
}

/// <summary>
/// An in-memory stand-in for the host's checkpoint store. It keeps what every durability point hands it and
/// can pause the run right after one: it cancels the run's token, and like a host whose writes honour that
/// token it saves nothing once paused.
/// </summary>
internal sealed class RecordingObserver : IOptimizationObserver
{
    private readonly SortedDictionary<(int Iteration, int Index), CandidateRecord> _candidates = [];
    private readonly SortedSet<int> _completed = [];
    private readonly CancellationTokenSource _pause = new();
    private readonly Func<DurabilityPoint, int, bool> _pauseWhen;

    /// <param name="resumeFrom">What an earlier attempt saved.</param>
    /// <param name="pauseWhen">Given a durability point of this attempt and how many there have been, whether to pause there.</param>
    public RecordingObserver(Checkpoint? resumeFrom = null, Func<DurabilityPoint, int, bool>? pauseWhen = null)
    {
        foreach (var candidate in resumeFrom?.Candidates ?? []) _candidates[(candidate.Iteration, candidate.Index)] = candidate;
        _completed.UnionWith(resumeFrom?.CompletedIterations ?? new HashSet<int>());
        _pauseWhen = pauseWhen ?? ((_, _) => false);
    }

    /// <summary>Pauses right after the <paramref name="count"/>-th durability point of the given kind.</summary>
    public static RecordingObserver PausingAfter(Checkpoint resumeFrom, DurabilityPoint kind, int count) =>
        new(resumeFrom, (point, _) => point == kind && --count == 0);

    public CancellationToken Token => _pause.Token;
    public bool IsPaused => _pause.IsCancellationRequested;

    public List<DurabilityPoint> DurabilityPoints { get; } = [];
    public List<int> IterationsStarted { get; } = [];
    public List<int> IterationsProposed { get; } = [];
    public List<CandidateRecord> EvaluationsStarted { get; } = [];
    public List<IterationSummary> Summaries { get; } = [];

    public Checkpoint Checkpoint() => new(_candidates.Values.ToList(), new SortedSet<int>(_completed));

    public ValueTask IterationStartedAsync(int iteration, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IterationsStarted.Add(iteration);
        return ValueTask.CompletedTask;
    }

    public ValueTask CandidatesProposedAsync(int iteration, IReadOnlyList<CandidateRecord> candidates, LlmUsage usage, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IterationsProposed.Add(iteration);
        foreach (var candidate in candidates) _candidates[(candidate.Iteration, candidate.Index)] = candidate;
        return Saved(DurabilityPoint.CandidatesProposed);
    }

    public ValueTask EvaluationStartedAsync(CandidateRecord candidate, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        EvaluationsStarted.Add(candidate);
        return ValueTask.CompletedTask;
    }

    public ValueTask CandidateEvaluatedAsync(CandidateRecord candidate, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _candidates[(candidate.Iteration, candidate.Index)] = candidate;
        return Saved(DurabilityPoint.CandidateEvaluated);
    }

    public ValueTask IterationCompletedAsync(IterationSummary summary, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _completed.Add(summary.Iteration);
        Summaries.Add(summary);
        return Saved(DurabilityPoint.IterationCompleted);
    }

    private ValueTask Saved(DurabilityPoint point)
    {
        DurabilityPoints.Add(point);
        if (_pauseWhen(point, DurabilityPoints.Count)) _pause.Cancel();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A candidate as far as comparing two runs goes (the evaluation by its score).</summary>
internal sealed record CandidateTrace(int Iteration, int Index, PromptText Prompt, string MutationKind, string? RejectedReason, double? Score)
{
    public static IReadOnlyList<CandidateTrace> Of(IEnumerable<CandidateRecord> candidates) =>
        candidates.Select(c => new CandidateTrace(c.Iteration, c.Index, c.Prompt, c.MutationKind, c.RejectedReason, c.Evaluation?.Score)).ToList();
}
