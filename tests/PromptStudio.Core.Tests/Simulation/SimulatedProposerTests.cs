using PromptStudio.Core.Optimization;
using PromptStudio.Core.Prompts;
using PromptStudio.Core.Simulation;
using PromptStudio.Core.Tests.Optimization;

namespace PromptStudio.Core.Tests.Simulation;

public sealed class SimulatedProposerTests
{
    private static readonly SimulatedProposer Proposer = new(TimeSpan.Zero);

    private static CandidateRecord Candidate(PromptText prompt) => new(0, 0, prompt, MutationKinds.Baseline);

    private static readonly CandidateRecord RunnerUp = Candidate(Sentiment.Original with
    {
        Template = "Read the whole text before deciding.\nWrite the label in lowercase.\n" + Sentiment.Original.Template,
    });

    private static ProposalContext Context(int iteration, CandidateRecord? runnerUp = null, double strength = 0.5, int count = 3) =>
        new(iteration, count, Candidate(Sentiment.Original), runnerUp, Sentiment.TrainItems, strength, Seed: 11);

    /// <summary>Every candidate proposed over many iterations of one context shape.</summary>
    private static async Task<List<ProposedCandidate>> ProposeManyAsync(Func<int, ProposalContext> context, int iterations = 100)
    {
        var all = new List<ProposedCandidate>();
        for (var iteration = 1; iteration <= iterations; iteration++)
            all.AddRange(await Proposer.ProposeAsync(context(iteration), TestContext.Current.CancellationToken));
        return all;
    }

    [Fact]
    public async Task Propose_GivesTheSameCandidates_ForTheSameContext()
    {
        var first = await Proposer.ProposeAsync(Context(4, RunnerUp), TestContext.Current.CancellationToken);
        var second = await Proposer.ProposeAsync(Context(4, RunnerUp), TestContext.Current.CancellationToken);

        Assert.Equal(first, second);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public async Task Propose_WritesTheRequestedNumberOfCandidates_EachCostingOneCall(int count)
    {
        var proposals = await Proposer.ProposeAsync(Context(1, count: count), TestContext.Current.CancellationToken);

        Assert.Equal(count, proposals.Count);
        Assert.All(proposals, p => Assert.Equal(1, p.Usage.Calls));
        Assert.All(proposals, p => Assert.NotEqual(Sentiment.Original, p.Prompt));
    }

    [Fact]
    public async Task Propose_SometimesLosesTheVariable_AsABotchedParaphrase()
    {
        var proposals = await ProposeManyAsync(i => Context(i));

        var botched = proposals.Where(p => p.Prompt.Variables.Count == 0).ToList();
        Assert.InRange(botched.Count, 1, proposals.Count / 10);
        Assert.All(botched, p => Assert.Equal(MutationKinds.Paraphrase, p.MutationKind));
        Assert.All(botched, p => Assert.EndsWith("Review: the text above", p.Prompt.Template));
    }

    [Fact]
    public async Task Propose_CrossesOver_OnlyWhenThereIsARunnerUp()
    {
        var without = await ProposeManyAsync(i => Context(i));
        var with = await ProposeManyAsync(i => Context(i, RunnerUp));

        Assert.DoesNotContain(without, p => p.MutationKind == MutationKinds.Crossover);
        var crossovers = with.Where(p => p.MutationKind == MutationKinds.Crossover).ToList();
        Assert.NotEmpty(crossovers);
        Assert.All(crossovers, p =>
        {
            Assert.EndsWith(Sentiment.Original.Template, p.Prompt.Template);
            Assert.Equal(RunnerUp.Prompt.Template.Split('\n').Order(), p.Prompt.Template.Split('\n').Order());
        });
    }

    [Fact]
    public async Task Propose_AddsWorkedExamples_FromTrainingItemsOnly()
    {
        var proposals = await ProposeManyAsync(i => Context(i));

        var examples = proposals.Where(p => p.MutationKind == MutationKinds.FewShot).ToList();
        Assert.NotEmpty(examples);
        Assert.All(examples, p => Assert.Contains(Sentiment.TrainItems, item =>
            p.Prompt.Template.StartsWith($"Worked example: review = \"{item.Input["review"]}\" → {item.ExpectedOutput}\n", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Propose_AddsMoreInstructions_AtAHigherMutationStrength()
    {
        static async Task<double> AddedLinesAsync(double strength) =>
            (await ProposeManyAsync(i => Context(i, strength: strength)))
                .Where(p => p.MutationKind == MutationKinds.AddInstruction)
                .Average(p => p.Prompt.Template.Split('\n').Length - Sentiment.Original.Template.Split('\n').Length);

        var gentle = await AddedLinesAsync(0);
        var strong = await AddedLinesAsync(1);

        Assert.Equal(1, gentle);
        Assert.InRange(strong, 2, 3);
    }
}
