using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Llm;
using PromptStudio.Core.Metrics;
using PromptStudio.Core.Optimization;
using PromptStudio.Core.Prompts;
using Xunit;

namespace PromptStudio.Core.Tests.Llm;

/// <summary>The optimizer with the LLM proposer and a scripted model (no network).</summary>
public sealed class LlmOptimizerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, string> Capitals = new()
    {
        ["France"] = "Paris", ["Japan"] = "Tokyo", ["Kenya"] = "Nairobi", ["Peru"] = "Lima", ["Norway"] = "Oslo", ["Canada"] = "Ottawa",
        ["Chile"] = "Santiago", ["Egypt"] = "Cairo", ["Spain"] = "Madrid", ["India"] = "New Delhi",
    };

    private static List<EvalItem> Items(IEnumerable<string> countries, int firstId = 1) =>
        countries.Select((c, i) => new EvalItem(firstId + i, c, new Dictionary<string, string> { ["country"] = c }, Capitals[c])).ToList();

    private static readonly PromptText Original = new(null, "What is the capital of {{country}}?");

    private static bool IsMutation(IReadOnlyList<ChatMessage> m) => m[0].Text.Contains("expert prompt engineer", StringComparison.Ordinal);

    private static string Current(IReadOnlyList<ChatMessage> m) => Regex.Match(m[1].Text, "<prompt>(.*?)</prompt>", RegexOptions.Singleline).Groups[1].Value;

    /// <summary>Gives the bare city only when told to; mutations add that instruction (or, if asked, lose the variable).</summary>
    private static ScriptedChatClient Model(bool dropVariable = false) => new(m =>
    {
        if (IsMutation(m))
        {
            return dropVariable
                ? "<critique>Too long.</critique><prompt>Answer with the city name only. What is the capital of the country?</prompt>"
                : $"<critique>Too long.</critique><prompt>Answer with the city name only.\n{Current(m)}</prompt>";
        }
        var text = string.Join("\n", m.Select(x => x.Text));
        var country = Capitals.Keys.First(k => text.Contains(k, StringComparison.Ordinal));
        return text.Contains("city name only", StringComparison.Ordinal) ? Capitals[country] : $"It is {Capitals[country]}.";
    });

    private static Optimizer Optimizer(IChatClient chat) =>
        new(new LlmProposer(chat), new CandidateEvaluator(chat, "m", new MetricScorer([MetricSpec.Default]), 4, 0.2));

    private static OptimizationConfig Config(int maxIterations = 2, int candidates = 1) =>
        new() { MaxIterations = maxIterations, TargetScore = 1.0, Tuning = new TuningParameters { CandidatesPerIteration = candidates } };

    [Fact]
    public async Task FailureDrivenRewrite_SeesFailingItemsWithTheirOutputs_AndFixesThem()
    {
        var model = Model();
        var run = new OptimizationRun(Original, Items(["France", "Japan", "Kenya"]), [], Config());

        var outcome = await Optimizer(model).RunAsync(run, [], new HashSet<int>(), new NullObserver(), null, Ct);

        Assert.Equal(StopReasons.TargetReached, outcome.StopReason);
        Assert.Equal(1.0, outcome.Best.Evaluation!.Score);
        Assert.Equal(MutationKinds.FailureDriven, outcome.Best.MutationKind);
        var meta = model.Calls.Single(IsMutation)[1].Text;
        Assert.Contains("Model output: It is Nairobi.", meta, StringComparison.Ordinal);
        Assert.Contains("Expected output: Nairobi", meta, StringComparison.Ordinal);
        Assert.Contains("<critique>", meta, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACandidateThatDropsAVariable_IsRejected_AndNeverEvaluated()
    {
        var model = Model(dropVariable: true);
        var observer = new NullObserver();
        var run = new OptimizationRun(Original, Items(["France", "Japan"]), [], Config(maxIterations: 1));

        var outcome = await Optimizer(model).RunAsync(run, [], new HashSet<int>(), observer, null, Ct);

        var candidate = Assert.Single(observer.Proposed);
        Assert.Equal("drops variable(s) {{country}}", candidate.RejectedReason);
        Assert.Equal(0, outcome.Best.Iteration);
        Assert.DoesNotContain(model.Calls, c => c.Any(m => m.Text.Contains("of the country?", StringComparison.Ordinal)) && !IsMutation(c));
    }

    [Fact]
    public async Task HeldOutItems_AreScoredOnlyForTheReport_AndNeverShownToTheMutator()
    {
        var model = Model();
        var train = Items(["France", "Japan", "Kenya", "Peru", "Norway", "Canada"]);
        var heldOut = Items(["Chile", "Egypt", "Spain", "India"], firstId: 100);
        var run = new OptimizationRun(Original, train, heldOut, Config());

        var outcome = await Optimizer(model).RunAsync(run, [], new HashSet<int>(), new NullObserver(), null, Ct);

        Assert.Equal(4, outcome.BaselineHeldOut!.Items.Count);
        Assert.All(outcome.BaselineHeldOut.Items, i => Assert.True(i.ItemId >= 100));
        Assert.All(outcome.BestHeldOut!.Items, i => Assert.True(i.ItemId >= 100));
        Assert.Equal(0.0, outcome.BaselineHeldOut.Score);
        Assert.Equal(1.0, outcome.BestHeldOut.Score);
        Assert.All(outcome.Best.Evaluation!.Items, i => Assert.True(i.ItemId < 100));
        foreach (var meta in model.Calls.Where(IsMutation))
            Assert.DoesNotContain(meta, m => heldOut.Any(h => m.Text.Contains(h.Name!, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Budget_StopsWithTheBestSoFar_WhenMaxLlmCallsIsReached()
    {
        var model = Model();
        var meter = new UsageMeter(0, 0, maxCalls: 4, maxCostUsd: null);
        var settings = new ProviderSettings(1, "p", ProviderKinds.OpenAI, new Uri("https://example.com"), null, ["m"], "m", 4, 0, new Dictionary<string, ModelPrice>());
        IChatClient chat = new UsageChatClient(model, settings, meter);
        var run = new OptimizationRun(Original, Items(["France", "Japan", "Kenya"]), [], Config(maxIterations: 5));

        var outcome = await Optimizer(chat).RunAsync(run, [], new HashSet<int>(), new NullObserver(), null, Ct);

        Assert.Equal(StopReasons.Budget, outcome.StopReason);
        Assert.Equal(0, outcome.Best.Iteration);
        Assert.Equal(4, model.Calls.Count);
    }

    [Theory]
    [InlineData(0.1, "small, conservative edit")]
    [InlineData(0.5, "moderate edit")]
    [InlineData(0.9, "rewrite the prompt substantially")]
    public void MutationStrength_SteersHowFarARewriteMayGo(double strength, string expected)
    {
        var instructions = LlmProposer.SystemInstructions(Original, strength);

        Assert.Contains(expected, instructions, StringComparison.Ordinal);
        Assert.Contains("{{country}}", instructions, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Operators_RotateOverSlots_IncludingFewShotAndCrossover()
    {
        var model = Model();
        var best = new CandidateRecord(1, 1, new PromptText(null, "A {{country}}"), MutationKinds.Paraphrase, null,
            new EvaluationResult(0.5, new Dictionary<string, double>(), [new ItemResult(1, "x", 0, new Dictionary<string, double>())], LlmUsage.Zero));
        var runnerUp = best with { Index = 2, Prompt = new PromptText(null, "B {{country}}") };
        var context = new ProposalContext(1, 5, best, runnerUp, Items(["France", "Japan"]), 0.5, 42);

        var proposals = await new LlmProposer(model).ProposeAsync(context, Ct);

        Assert.Equal(
            [MutationKinds.FailureDriven, MutationKinds.AddInstruction, MutationKinds.FewShot, MutationKinds.Crossover, MutationKinds.Paraphrase],
            proposals.Select(p => p.MutationKind).ToArray());
        var asked = model.Calls.Select(c => c[1].Text).ToList();
        Assert.Contains(asked, t => t.Contains("Correct output: Paris", StringComparison.Ordinal) || t.Contains("Correct output: Tokyo", StringComparison.Ordinal));
        Assert.Contains(asked, t => t.Contains("Second-best prompt", StringComparison.Ordinal) && t.Contains("B {{country}}", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("<critique>c</critique>\n<prompt>New {{country}}</prompt>", null, "New {{country}}", null)]
    [InlineData("New {{country}}", null, "New {{country}}", null)]
    [InlineData("<system_prompt>Be brief.</system_prompt><prompt>T {{country}}</prompt>", "Old system", "T {{country}}", "Be brief.")]
    [InlineData("<prompt>T {{country}}</prompt>", "Old system", "T {{country}}", "Old system")]
    public void Parse_ReadsTheRewrittenPrompt(string answer, string? currentSystem, string template, string? system)
    {
        var parsed = LlmProposer.Parse(answer, new PromptText(currentSystem, "Old {{country}}"));

        Assert.Equal(new PromptText(system, template), parsed);
    }
}
