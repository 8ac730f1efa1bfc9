using PromptStudio.Core.Jobs;
using PromptStudio.Core.Optimization;
using PromptStudio.Core.Simulation;

namespace PromptStudio.Core.Tests.Optimization;

/// <summary>Held-out items are scored once, for the report, and never steer the search.</summary>
public sealed class HeldOutTests
{
    private static readonly int[] HeldOutIds = [.. Sentiment.HeldOutItems.Select(i => i.Id)];
    private static readonly int[] TrainIds = [.. Sentiment.TrainItems.Select(i => i.Id)];

    private static async Task<(OptimizationOutcome Outcome, RecordingObserver Observer, RecordingChatClient Chat, RecordingProposer Proposer)> RunAsync(
        OptimizationConfig config, IReadOnlyList<EvalItem> heldOut)
    {
        var chat = new RecordingChatClient(config.Tuning.Seed);
        var proposer = new RecordingProposer(new SimulatedProposer(TimeSpan.Zero));
        var observer = new RecordingObserver();
        var outcome = await Sentiment.RunAsync(Sentiment.Run(config, heldOut), observer, chat, proposer);
        return (outcome!, observer, chat, proposer);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(42)]
    public async Task HeldOutItems_AreScoredOnlyInTheOutcome_AfterTheSearch(int seed)
    {
        var (outcome, observer, chat, proposer) = await RunAsync(Sentiment.Config(seed), Sentiment.HeldOutItems);

        Assert.NotEqual(0, outcome.Best.Iteration);
        Assert.All(observer.Checkpoint().Candidates.Where(c => c.IsEvaluated), c => Assert.Equal(TrainIds, c.Evaluation!.Items.Select(i => i.ItemId)));
        Assert.All(proposer.Contexts, context => Assert.Equal(TrainIds, context.TrainItems.Select(i => i.Id)));
        Assert.Equal(HeldOutIds, outcome.BaselineHeldOut!.Items.Select(i => i.ItemId));
        Assert.Equal(HeldOutIds, outcome.BestHeldOut!.Items.Select(i => i.ItemId));

        var calls = chat.ItemIds;
        var firstHeldOut = calls.ToList().FindIndex(HeldOutIds.Contains);
        Assert.Equal(calls.Count - 2 * HeldOutIds.Length, firstHeldOut);
        Assert.All(calls.Skip(firstHeldOut), id => Assert.Contains(id, HeldOutIds));
        Assert.Equal(2 * HeldOutIds.Length, outcome.HeldOutUsage!.Calls);
    }

    [Fact]
    public async Task HeldOutItems_DoNotChangeTheSearch()
    {
        var (with, withObserver, _, _) = await RunAsync(Sentiment.Config(seed: 5), Sentiment.HeldOutItems);
        var (without, withoutObserver, _, _) = await RunAsync(Sentiment.Config(seed: 5), []);

        Assert.Equal(without.Best.Prompt, with.Best.Prompt);
        Assert.Equal(without.StopReason, with.StopReason);
        Assert.Equal(CandidateTrace.Of(withoutObserver.Checkpoint().Candidates), CandidateTrace.Of(withObserver.Checkpoint().Candidates));
        Assert.Null(without.BaselineHeldOut);
        Assert.Null(without.BestHeldOut);
        Assert.Null(without.HeldOutUsage);
    }

    [Fact]
    public async Task HeldOutItems_AreScoredOnce_WhenTheBestIsTheBaseline()
    {
        var (outcome, _, chat, _) = await RunAsync(Sentiment.Config(targetScore: 0), Sentiment.HeldOutItems);

        Assert.Same(outcome.BaselineHeldOut, outcome.BestHeldOut);
        Assert.Equal(HeldOutIds.Length, outcome.HeldOutUsage!.Calls);
        Assert.Equal(TrainIds.Length + HeldOutIds.Length, chat.Calls);
    }

    [Fact]
    public async Task HeldOutScoring_IsNotCutShortByTheTimeLimit_OnceTheSearchHasStopped()
    {
        var config = Sentiment.Config(targetScore: 0);
        var first = new RecordingObserver();
        await Sentiment.RunAsync(Sentiment.Run(config), first);

        // Resumed, the search stops at once (the baseline reaches the target) and only the held-out calls
        // remain; each is slower than the whole time limit, which was set before any of them started.
        var timeLeft = TimeSpan.FromMilliseconds(100);
        var slow = new RecordingChatClient(config.Tuning.Seed, 3 * timeLeft);
        var resumed = new RecordingObserver(first.Checkpoint());
        var outcome = await Sentiment.RunAsync(Sentiment.Run(config, Sentiment.HeldOutItems), resumed, slow, timeLeft: timeLeft);

        Assert.NotNull(outcome);
        Assert.Equal(StopReasons.TargetReached, outcome.StopReason);
        Assert.Equal(HeldOutIds, outcome.BestHeldOut!.Items.Select(i => i.ItemId));
        Assert.Equal(HeldOutIds.Length, slow.Calls);
    }
}

/// <summary>Passes proposals through, keeping what each one was shown.</summary>
internal sealed class RecordingProposer(ICandidateProposer inner) : ICandidateProposer
{
    public List<ProposalContext> Contexts { get; } = [];

    public Task<IReadOnlyList<ProposedCandidate>> ProposeAsync(ProposalContext context, CancellationToken cancellationToken)
    {
        Contexts.Add(context);
        return inner.ProposeAsync(context, cancellationToken);
    }
}
