using PromptStudio.Core.Jobs;
using PromptStudio.Core.Optimization;

namespace PromptStudio.Core.Tests.Optimization;

/// <summary>
/// DESIGN §2: progress is checkpointed after every iteration and every evaluated candidate, so a paused run
/// resumes where it left off, never redoes saved work, and ends exactly as the same run straight through.
/// </summary>
public sealed class OptimizerResumeTests
{
    /// <summary>Stops on the target, on patience or at the iteration limit, so resuming must rebuild all three.</summary>
    private static OptimizationConfig Config(int seed) => Sentiment.Config(seed, maxIterations: 8, targetScore: 0.95, patience: 3);

    private sealed record StraightRun(OptimizationOutcome Outcome, IReadOnlyList<CandidateTrace> Trace, int LlmCalls, RecordingObserver Observer);

    private static async Task<StraightRun> RunStraightAsync(int seed)
    {
        var chat = new RecordingChatClient(seed);
        var (outcome, observer) = await Sentiment.RunStraightAsync(Config(seed), chat);
        return new StraightRun(outcome, CandidateTrace.Of(observer.Checkpoint().Candidates), chat.Calls, observer);
    }

    private static void AssertSameEnd(StraightRun straight, OptimizationOutcome resumed, Checkpoint saved)
    {
        Assert.Equal(straight.Outcome.StopReason, resumed.StopReason);
        Assert.Equal(straight.Outcome.IterationsCompleted, resumed.IterationsCompleted);
        Assert.Equal(straight.Outcome.Best.Prompt, resumed.Best.Prompt);
        Assert.Equal(straight.Outcome.Best.Evaluation!.Score, resumed.Best.Evaluation!.Score);
        Assert.Equal((straight.Outcome.Best.Iteration, straight.Outcome.Best.Index), (resumed.Best.Iteration, resumed.Best.Index));
        Assert.Equal(straight.Outcome.Baseline.Evaluation!.Score, resumed.Baseline.Evaluation!.Score);
        Assert.Equal(straight.Trace, CandidateTrace.Of(saved.Candidates));
    }

    [Theory]
    [InlineData(DurabilityPoint.IterationCompleted, 16, StopReasons.Patience)]
    [InlineData(DurabilityPoint.IterationCompleted, 2, StopReasons.MaxIterations)]
    [InlineData(DurabilityPoint.IterationCompleted, 11, StopReasons.TargetReached)]
    [InlineData(DurabilityPoint.CandidatesProposed, 16, StopReasons.Patience)]
    [InlineData(DurabilityPoint.CandidatesProposed, 2, StopReasons.MaxIterations)]
    [InlineData(DurabilityPoint.CandidatesProposed, 11, StopReasons.TargetReached)]
    [InlineData(DurabilityPoint.CandidateEvaluated, 16, StopReasons.Patience)]
    [InlineData(DurabilityPoint.CandidateEvaluated, 2, StopReasons.MaxIterations)]
    [InlineData(DurabilityPoint.CandidateEvaluated, 11, StopReasons.TargetReached)]
    public async Task Resume_EndsLikeTheStraightRun_WithoutRedoingSavedWork_WhenPausedAfterAnyDurabilityPoint(
        DurabilityPoint kind, int seed, string stopReason)
    {
        var straight = await RunStraightAsync(seed);
        Assert.Equal(stopReason, straight.Outcome.StopReason);
        var points = straight.Observer.DurabilityPoints.Count(p => p == kind);
        Assert.True(points >= 3, $"the straight run has only {points} {kind} points");

        for (var n = 1; n <= points; n++)
        {
            var first = RecordingObserver.PausingAfter(Sentiment.Empty, kind, n);
            await Sentiment.RunAsync(Sentiment.Run(Config(seed)), first);
            var saved = first.Checkpoint();

            var second = new RecordingObserver(saved);
            var resumed = await Sentiment.RunAsync(Sentiment.Run(Config(seed)), second) ?? throw new InvalidOperationException("paused twice");

            AssertSameEnd(straight, resumed, second.Checkpoint());
            Assert.DoesNotContain(second.EvaluationsStarted, c => saved.EvaluatedKeys.Contains((c.Iteration, c.Index)));
            Assert.DoesNotContain(second.IterationsProposed, i => saved.Candidates.Any(c => c.Iteration == i));
            Assert.DoesNotContain(second.Summaries, s => s.Iteration < saved.CompletedIterations.Count);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    public async Task Resume_EndsLikeTheStraightRun_AndMakesNoExtraLlmCall_WhenPausedAtEveryDurabilityPointInTurn(int seed)
    {
        var straight = await RunStraightAsync(seed);
        var chat = new RecordingChatClient(seed);
        var checkpoint = Sentiment.Empty;
        var proposals = 0;
        OptimizationOutcome? outcome = null;

        for (var attempt = 0; outcome is null; attempt++)
        {
            Assert.True(attempt <= straight.Observer.DurabilityPoints.Count, "the run does not progress between pauses");
            var observer = new RecordingObserver(checkpoint, (_, count) => count == 1);
            outcome = await Sentiment.RunAsync(Sentiment.Run(Config(seed)), observer, chat);
            checkpoint = observer.Checkpoint();
            proposals += observer.IterationsProposed.Count;
        }

        AssertSameEnd(straight, outcome, checkpoint);
        Assert.Equal(straight.LlmCalls, chat.Calls);
        Assert.Equal(straight.Observer.IterationsProposed.Count, proposals);
    }

    [Fact]
    public async Task Resume_OfAFinishedRun_ReturnsTheSameOutcome_WithoutCallingTheModel()
    {
        var straight = await RunStraightAsync(seed: 1);
        var observer = new RecordingObserver(straight.Observer.Checkpoint());
        var chat = new RecordingChatClient(seed: 1);

        var outcome = await Sentiment.RunAsync(Sentiment.Run(Config(1)), observer, chat);

        Assert.NotNull(outcome);
        AssertSameEnd(straight, outcome, observer.Checkpoint());
        Assert.Equal(0, chat.Calls);
        Assert.Empty(observer.DurabilityPoints);
    }

    [Fact]
    public async Task Resume_CompletesIterationZero_WhenTheBaselineWasSavedButNotItsIteration()
    {
        var straight = await RunStraightAsync(seed: 2);
        var first = RecordingObserver.PausingAfter(Sentiment.Empty, DurabilityPoint.CandidateEvaluated, 1);
        Assert.Null(await Sentiment.RunAsync(Sentiment.Run(Config(2)), first));
        Assert.Empty(first.Checkpoint().CompletedIterations);

        var second = new RecordingObserver(first.Checkpoint());
        var outcome = await Sentiment.RunAsync(Sentiment.Run(Config(2)), second);

        Assert.NotNull(outcome);
        AssertSameEnd(straight, outcome, second.Checkpoint());
        Assert.Equal(0, second.Summaries[0].Iteration);
        Assert.DoesNotContain(second.EvaluationsStarted, c => c.Iteration == 0);
    }
}
