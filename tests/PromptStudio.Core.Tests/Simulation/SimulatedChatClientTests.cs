using Microsoft.Extensions.AI;
using PromptStudio.Core.Optimization;
using PromptStudio.Core.Simulation;

namespace PromptStudio.Core.Tests.Simulation;

public sealed class SimulatedChatClientTests
{
    private const string Plain = "Classify this review.";
    private const string Tuned = "Answer with only the label, nothing else.\nWatch for negations and sarcasm: they flip the meaning.\nWhen the text shows mixed feelings, pick the one that dominates.\nRead the whole text before deciding.\nWrite the label in lowercase.\nNeutral means the text states facts without a feeling.\nWorked example: great → positive\nClassify this review.";

    private static ChatOptions AnswerKey(int item, string expected = "positive") =>
        new() { AdditionalProperties = new() { [CandidateEvaluator.AnswerKeyProperty] = expected, [CandidateEvaluator.ItemIdProperty] = item } };

    private static async Task<string> AskAsync(SimulatedChatClient client, string prompt, ChatOptions? options) =>
        (await client.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)], options, TestContext.Current.CancellationToken)).Text;

    private static async Task<int> CorrectAnswersAsync(string prompt, int seed = 7)
    {
        var client = new SimulatedChatClient(seed, TimeSpan.Zero);
        var answers = await Task.WhenAll(Enumerable.Range(1, 200).Select(item => AskAsync(client, $"{prompt}\nReview #{item}", AnswerKey(item))));
        return answers.Count(a => a == "positive");
    }

    [Fact]
    public async Task Answer_IsTheSame_ForTheSameSeedItemAndPrompt()
    {
        var answers = await Task.WhenAll(
            Enumerable.Range(0, 2).Select(_ => Task.WhenAll(Enumerable.Range(1, 50).Select(item =>
                AskAsync(new SimulatedChatClient(3, TimeSpan.Zero), Plain, AnswerKey(item))))));

        Assert.Equal(answers[0], answers[1]);
    }

    [Fact]
    public async Task Answer_Changes_WithTheSeed()
    {
        var bySeed = await Task.WhenAll(new[] { 1, 2 }.Select(seed => Task.WhenAll(Enumerable.Range(1, 50).Select(item =>
            AskAsync(new SimulatedChatClient(seed, TimeSpan.Zero), Plain, AnswerKey(item))))));

        Assert.NotEqual(bySeed[0], bySeed[1]);
    }

    [Fact]
    public async Task HelpfulInstructions_MakeTheRightAnswerMoreFrequent()
    {
        var plain = await CorrectAnswersAsync(Plain);
        var tuned = await CorrectAnswersAsync(Tuned);

        // Rough expectations from the difficulty model: about 20% right at 0.28 accuracy, about 90% at 0.86.
        Assert.InRange(plain, 20, 70);
        Assert.InRange(tuned, 160, 200);
    }

    [Fact]
    public async Task WrongAnswers_AreNearMissesOrGuesses()
    {
        var client = new SimulatedChatClient(7, TimeSpan.Zero);

        var answers = await Task.WhenAll(Enumerable.Range(1, 100).Select(item => AskAsync(client, Plain, AnswerKey(item, "negative"))));

        Assert.All(answers, a => Assert.Contains(a, new[] { "negative", "I think the answer is: negative.", "I am not sure; it could be several things." }));
        Assert.Contains("I think the answer is: negative.", answers);
    }

    [Fact]
    public async Task WithoutAnAnswerKey_TheAnswerIsGeneric() =>
        Assert.Equal("A simulated answer.", await AskAsync(new SimulatedChatClient(1, TimeSpan.Zero), Plain, null));

    [Fact]
    public async Task Response_ReportsTheModelAndTokenEstimates()
    {
        var options = AnswerKey(1);
        options.ModelId = "dry-model";

        var response = await new SimulatedChatClient(1, TimeSpan.Zero)
            .GetResponseAsync([new ChatMessage(ChatRole.User, new string('x', 40))], options, TestContext.Current.CancellationToken);

        Assert.Equal("dry-model", response.ModelId);
        Assert.Equal(10, response.Usage!.InputTokenCount);
        Assert.Equal(SimulatedChatClient.EstimateTokens(response.Text), response.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task Latency_GivesWayToCancellation()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new SimulatedChatClient(1, TimeSpan.FromHours(1)).GetResponseAsync([new ChatMessage(ChatRole.User, Plain)], null, cancelled.Token));
    }

    [Theory]
    [InlineData("Classify.", SimulatedKnowledge.BaseAccuracy)]
    [InlineData("ANSWER WITH ONLY THE LABEL. Classify.", 0.44)]
    [InlineData("Be creative in your reply. Explain your reasoning in detail.", 0.09)]
    [InlineData("Take your time. Please be polite.", 0.28)]
    [InlineData(Tuned, 0.86)]
    [InlineData(Tuned + " world-class. take your time", 0.87)]
    [InlineData("Be creative. Explain your reasoning in detail. Summarize the text first. Use bullet points.", 0.02)]
    public void Accuracy_AddsTheEffectOfEachInstructionPresent_WithinItsBounds(string prompt, double accuracy) =>
        Assert.Equal(accuracy, SimulatedKnowledge.Accuracy(prompt), 1e-9);

    [Fact]
    public void StableRandom_IsAFunctionOfItsParts_NotOfTheProcess()
    {
        Assert.Equal(StableRandom.Hash(1, "item", 2), StableRandom.Hash(1, "item", 2));
        Assert.NotEqual(StableRandom.Hash(1, "item", 2), StableRandom.Hash(1, "item", 3));
        Assert.NotEqual(StableRandom.Hash("ab", "c"), StableRandom.Hash("a", "bc"));
        Assert.Equal(0xBD38986E9AE11FB4UL, StableRandom.Hash("promptstudio"));
        Assert.All(Enumerable.Range(0, 1000), i => Assert.InRange(StableRandom.Unit("unit", i), 0.0, 0.999_999_999_999));
    }
}
