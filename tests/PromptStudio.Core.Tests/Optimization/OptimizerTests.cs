using PromptStudio.Core.Jobs;
using PromptStudio.Core.Optimization;
using PromptStudio.Core.Prompts;

namespace PromptStudio.Core.Tests.Optimization;

public sealed class OptimizerTests
{
    private static double Score(CandidateRecord candidate) => candidate.Evaluation!.Score;

    [Fact]
    public async Task Run_StopsWithTargetReached_AtTheFirstIterationWhoseBestReachesTheTarget()
    {
        var (outcome, observer) = await Sentiment.RunStraightAsync(Sentiment.Config(seed: 1, maxIterations: 30, targetScore: 0.75));

        Assert.Equal(StopReasons.TargetReached, outcome.StopReason);
        Assert.True(Score(outcome.Best) >= 0.75);
        Assert.All(observer.Summaries.SkipLast(1), s => Assert.True(s.BestScore < 0.75));
        Assert.Equal(observer.Summaries[^1].Iteration, outcome.IterationsCompleted);
        Assert.InRange(outcome.IterationsCompleted, 1, 29);
    }

    [Fact]
    public async Task Run_StopsAtTheBaseline_WhenTheBaselineAlreadyReachesTheTarget()
    {
        var (outcome, observer) = await Sentiment.RunStraightAsync(Sentiment.Config(targetScore: 0));

        Assert.Equal(StopReasons.TargetReached, outcome.StopReason);
        Assert.Equal(0, outcome.IterationsCompleted);
        Assert.Same(outcome.Baseline, outcome.Best);
        Assert.Equal(MutationKinds.Baseline, outcome.Baseline.MutationKind);
        Assert.Equal(Sentiment.Original, outcome.Baseline.Prompt);
        Assert.Empty(observer.IterationsProposed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(10)]
    public async Task Run_StopsWithMaxIterations_WhenNothingElseStopsIt(int maxIterations)
    {
        var (outcome, observer) = await Sentiment.RunStraightAsync(Sentiment.Config(seed: 3, maxIterations: maxIterations));

        Assert.Equal(StopReasons.MaxIterations, outcome.StopReason);
        Assert.Equal(maxIterations, outcome.IterationsCompleted);
        Assert.Equal(Enumerable.Range(0, maxIterations + 1), observer.Summaries.Select(s => s.Iteration));
        Assert.Equal(Enumerable.Range(1, maxIterations), observer.IterationsProposed);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(42, 2)]
    [InlineData(8, 3)]
    public async Task Run_StopsOnPatience_AtTheFirstRunOfThatManyIterationsWithoutImprovement(int seed, int patience)
    {
        var (outcome, observer) = await Sentiment.RunStraightAsync(Sentiment.Config(seed, maxIterations: 100, patience: patience));

        var stagnant = 0;
        var firstExhausted = observer.Summaries.Skip(1).First(s => (stagnant = s.ImprovedBest ? 0 : stagnant + 1) == patience);
        Assert.Equal(StopReasons.Patience, outcome.StopReason);
        Assert.Equal(firstExhausted.Iteration, outcome.IterationsCompleted);
        Assert.Equal(firstExhausted, observer.Summaries[^1]);
    }

    [Theory]
    [InlineData(1, 0.05)]
    [InlineData(7, 0.2)]
    [InlineData(42, 0.2)]
    public async Task Run_StopsOnMinImprovement_AtTheFirstIterationThatGainsLess(int seed, double minImprovement)
    {
        var (outcome, observer) = await Sentiment.RunStraightAsync(
            Sentiment.Config(seed, maxIterations: 100, tuning: t => t with { MinImprovement = minImprovement }));

        var gains = observer.Summaries.Skip(1).Select(s => s.BestScore - s.PreviousBestScore).ToList();
        Assert.Equal(StopReasons.MinImprovement, outcome.StopReason);
        Assert.True(gains[^1] < minImprovement);
        Assert.All(gains.SkipLast(1), gain => Assert.True(gain >= minImprovement - 1e-9));
    }

    [Fact]
    public async Task Run_CountsGainsBelowMinImprovementAsStagnation_WhenPatienceIsSet()
    {
        var (outcome, observer) = await Sentiment.RunStraightAsync(
            Sentiment.Config(seed: 1, maxIterations: 100, patience: 2, tuning: t => t with { MinImprovement = 0.3 }));

        Assert.Equal(StopReasons.Patience, outcome.StopReason);
        var lastTwo = observer.Summaries.TakeLast(2).ToList();
        Assert.All(lastTwo, s => Assert.True(s.BestScore - s.PreviousBestScore < 0.3));
        Assert.Contains(observer.Summaries.Skip(1), s => s.ImprovedBest && s.BestScore - s.PreviousBestScore < 0.3);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public async Task Run_RejectsTheSimulatorsBotchedRewrites_ThatDropTheVariable(int seed)
    {
        var (outcome, observer) = await Sentiment.RunStraightAsync(Sentiment.Config(seed));

        var botched = observer.Checkpoint().Candidates.Where(c => !c.Prompt.Variables.Contains("review")).ToList();
        Assert.NotEmpty(botched);
        Assert.All(botched, c => Assert.Equal("drops variable(s) {{review}}", c.RejectedReason));
        Assert.All(botched, c => Assert.False(c.IsEvaluated));
        Assert.DoesNotContain(observer.EvaluationsStarted, c => botched.Any(b => (b.Iteration, b.Index) == (c.Iteration, c.Index)));
        Assert.Equal(["review"], outcome.Best.Prompt.Variables);
    }

    [Fact]
    public async Task Run_EvaluatesRewritesThatDropTheVariable_WhenPreserveVariablesIsOff()
    {
        var (_, observer) = await Sentiment.RunStraightAsync(Sentiment.Config(seed: 3, tuning: t => t with { PreserveVariables = false }));

        var botched = observer.Checkpoint().Candidates.Where(c => !c.Prompt.Variables.Contains("review")).ToList();
        Assert.NotEmpty(botched);
        Assert.All(botched, c => Assert.True(c.IsEvaluated && c.RejectedReason is null));
    }

    [Fact]
    public async Task Run_RejectsDroppedInventedAndDuplicateCandidates_AndEvaluatesOnlyTheRest()
    {
        var original = Sentiment.Original;
        var good = original with { Template = "Answer with only the label, nothing else.\n" + original.Template };
        var proposer = new FixedProposer(
            original with { Template = "Classify the sentiment of the text above." },
            original with { Template = original.Template + "\nTone: {{tone}}" },
            good,
            good,
            original with { SystemPrompt = "You label {{review}}." });

        var (outcome, observer) = await Sentiment.RunStraightAsync(Sentiment.Config(maxIterations: 1), proposer: proposer);

        Assert.Equal(
            ["drops variable(s) {{review}}", "invents variable(s) {{tone}}", null, "duplicate of another candidate", null],
            observer.Checkpoint().Candidates.Where(c => c.Iteration == 1).Select(c => c.RejectedReason));
        Assert.Equal([(0, 0), (1, 3), (1, 5)], observer.EvaluationsStarted.Select(c => (c.Iteration, c.Index)));
        Assert.Equal(["review"], outcome.Best.Prompt.Variables);
    }

    [Fact]
    public async Task Run_KeepsTheBaseline_WhenEveryCandidateIsRejected()
    {
        var proposer = new FixedProposer(Sentiment.Original with { Template = "No placeholder at all." });

        var (outcome, observer) = await Sentiment.RunStraightAsync(Sentiment.Config(maxIterations: 3), proposer: proposer);

        Assert.Equal(StopReasons.MaxIterations, outcome.StopReason);
        Assert.Same(outcome.Baseline, outcome.Best);
        Assert.Equal([(0, 0)], observer.EvaluationsStarted.Select(c => (c.Iteration, c.Index)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(42)]
    public async Task Run_EndsIdentically_ForTheSameSeed(int seed)
    {
        var (first, firstObserver) = await Sentiment.RunStraightAsync(Sentiment.Config(seed));
        var (second, secondObserver) = await Sentiment.RunStraightAsync(Sentiment.Config(seed));

        Assert.Equal(first.Best.Prompt, second.Best.Prompt);
        Assert.Equal(Score(first.Best), Score(second.Best));
        Assert.Equal(CandidateTrace.Of(firstObserver.Checkpoint().Candidates), CandidateTrace.Of(secondObserver.Checkpoint().Candidates));
    }

    [Fact]
    public async Task Run_EndsDifferently_ForDifferentSeeds()
    {
        var outcomes = await Task.WhenAll(Enumerable.Range(1, 6).Select(seed => Sentiment.RunStraightAsync(Sentiment.Config(seed))));

        Assert.True(outcomes.Select(o => o.Outcome.Best.Prompt).Distinct().Count() >= 5);
        Assert.True(outcomes.Select(o => Score(o.Outcome.Baseline)).Distinct().Count() >= 2);
    }

    [Fact]
    public async Task Run_ImprovesOnTheBaseline_ForMostSeeds()
    {
        var outcomes = await Task.WhenAll(Enumerable.Range(1, 10).Select(seed => Sentiment.RunStraightAsync(Sentiment.Config(seed))));

        Assert.True(outcomes.Count(o => Score(o.Outcome.Best) > Score(o.Outcome.Baseline)) >= 7);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(17)]
    public async Task Run_NeverLetsTheBestScoreFall_AndTheBestKeepsTheVariables(int seed)
    {
        var (outcome, observer) = await Sentiment.RunStraightAsync(Sentiment.Config(seed));

        var bests = observer.Summaries.Select(s => s.BestScore).ToList();
        Assert.Equal(bests.Order(), bests);
        Assert.Equal(bests[^1], Score(outcome.Best));
        Assert.Equal(Sentiment.Original.Variables, outcome.Best.Prompt.Variables);
        Assert.Equal(
            observer.Checkpoint().Candidates.Where(c => c.IsEvaluated).Max(c => c.Evaluation!.Score),
            Score(outcome.Best));
    }

    [Fact]
    public async Task Run_StopsWithTimeout_KeepingTheBestSoFar_WhenTimeRunsOutMidIteration()
    {
        var firstAttempt = RecordingObserver.PausingAfter(Sentiment.Empty, DurabilityPoint.IterationCompleted, 4);
        var config = Sentiment.Config(seed: 2);
        Assert.Null(await Sentiment.RunAsync(Sentiment.Run(config), firstAttempt));
        var bestSoFar = firstAttempt.Summaries[^1].Best;

        var resumed = new RecordingObserver(firstAttempt.Checkpoint());
        var slow = new RecordingChatClient(config.Tuning.Seed, TimeSpan.FromHours(1));
        var outcome = await Sentiment.RunAsync(Sentiment.Run(config), resumed, slow, timeLeft: TimeSpan.FromMilliseconds(50));

        Assert.NotNull(outcome);
        Assert.Equal(StopReasons.Timeout, outcome.StopReason);
        Assert.Equal(3, outcome.IterationsCompleted);
        Assert.Equal(bestSoFar.Prompt, outcome.Best.Prompt);
        Assert.Equal(Score(bestSoFar), Score(outcome.Best));
        Assert.Equal([4], resumed.IterationsStarted);
        Assert.Empty(resumed.Summaries);
    }

    [Fact]
    public async Task Run_ThrowsTimeout_WhenTimeRunsOutBeforeTheBaselineIsScored()
    {
        var observer = new RecordingObserver();
        var slow = new RecordingChatClient(seed: 42, TimeSpan.FromHours(1));

        await Assert.ThrowsAsync<TimeoutException>(() =>
            Sentiment.RunAsync(Sentiment.Run(Sentiment.Config()), observer, slow, timeLeft: TimeSpan.FromMilliseconds(20)));
        Assert.Empty(observer.DurabilityPoints);
    }

    [Fact]
    public async Task Run_IsInterrupted_NotTimedOut_WhenItsTokenIsCancelled()
    {
        var observer = RecordingObserver.PausingAfter(Sentiment.Empty, DurabilityPoint.IterationCompleted, 2);
        var optimizer = Sentiment.Optimizer(Sentiment.Config());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            optimizer.RunAsync(Sentiment.Run(Sentiment.Config()), [], new HashSet<int>(), observer, TimeSpan.FromHours(1), observer.Token));
        Assert.Equal([0, 1], observer.Summaries.Select(s => s.Iteration));
    }
}

/// <summary>Proposes the same prompts every iteration, whatever it is shown.</summary>
internal sealed class FixedProposer(params PromptText[] prompts) : ICandidateProposer
{
    public Task<IReadOnlyList<ProposedCandidate>> ProposeAsync(ProposalContext context, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ProposedCandidate>>(
            prompts.Select(p => new ProposedCandidate(p, MutationKinds.Paraphrase, new LlmUsage(1, 10, 10, 0m))).ToList());
}
