using Microsoft.Extensions.AI;
using PromptStudio.Core.Metrics;
using PromptStudio.Core.Optimization;
using PromptStudio.Core.Prompts;

namespace PromptStudio.Core.Tests.Optimization;

public sealed class CandidateEvaluatorTests
{
    private static readonly PromptText Prompt = new("You label {{lang}} reviews.", "Label: {{review}}");

    private static EvalItem Item(int id, string review, string? expected = "positive") =>
        new(id, null, new Dictionary<string, string> { ["review"] = review, ["lang"] = "en" }, expected);

    private static CandidateEvaluator Evaluator(IChatClient chat, int concurrency = 4, double maxFailedItemRatio = 0.2, bool passAnswerKey = false) =>
        new(chat, "model-x", new MetricScorer([new(MetricSpec.ExactMatch), new(MetricSpec.Contains)]), concurrency, maxFailedItemRatio, 0.3, passAnswerKey);

    [Fact]
    public async Task Evaluate_ScoresEveryItem_AndAveragesTheScoresAndEachMetric()
    {
        var chat = new ScriptedChatClient(text => text.Contains("good", StringComparison.Ordinal) ? "positive" : "It is positive.");
        var items = new[] { Item(1, "good"), Item(2, "meh"), Item(3, "good"), Item(4, "meh") };

        var result = await Evaluator(chat).EvaluateAsync(Prompt, items, TestContext.Current.CancellationToken);

        Assert.Equal([1, 2, 3, 4], result.Items.Select(i => i.ItemId));
        Assert.Equal([1.0, 0.5, 1.0, 0.5], result.Items.Select(i => i.Score));
        Assert.Equal(0.75, result.Score);
        Assert.Equal(new Dictionary<string, double> { ["exact_match"] = 0.5, ["contains"] = 1.0 }, result.MetricScores);
        Assert.Equal([true, false, true, false], result.Items.Select(i => i.Passed));
        Assert.Equal(4, result.Usage.Calls);
    }

    [Fact]
    public async Task Evaluate_RendersTheSystemPromptAndTemplate_AndPassesModelAndTemperature()
    {
        var chat = new ScriptedChatClient(_ => "positive");

        await Evaluator(chat).EvaluateAsync(Prompt, [Item(1, "good")], TestContext.Current.CancellationToken);

        var (messages, options) = Assert.Single(chat.Requests);
        Assert.Equal([(ChatRole.System, "You label en reviews."), (ChatRole.User, "Label: good")], messages.Select(m => (m.Role, m.Text)));
        Assert.Equal("model-x", options!.ModelId);
        Assert.Equal(0.3f, options.Temperature);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Evaluate_ShowsTheExpectedOutputToTheModel_OnlyWhenAskedToForTheSimulator(bool passAnswerKey)
    {
        var chat = new ScriptedChatClient(_ => "positive");

        await Evaluator(chat, passAnswerKey: passAnswerKey).EvaluateAsync(Prompt, [Item(7, "good")], TestContext.Current.CancellationToken);

        var properties = Assert.Single(chat.Requests).Options!.AdditionalProperties;
        if (!passAnswerKey)
        {
            Assert.Null(properties);
            return;
        }
        Assert.Equal("positive", properties![CandidateEvaluator.AnswerKeyProperty]);
        Assert.Equal(7, properties[CandidateEvaluator.ItemIdProperty]);
    }

    [Fact]
    public async Task Evaluate_ScoresAFailedCallZero_WhileFailuresStayWithinTheAllowedShare()
    {
        var chat = new ScriptedChatClient(text => text.Contains("boom", StringComparison.Ordinal) ? throw new HttpRequestException("503") : "positive");
        var items = new[] { Item(1, "boom"), Item(2, "a"), Item(3, "b"), Item(4, "c"), Item(5, "d") };

        var result = await Evaluator(chat, maxFailedItemRatio: 0.2).EvaluateAsync(Prompt, items, TestContext.Current.CancellationToken);

        Assert.Equal(1, result.FailedItems);
        Assert.Equal("503", result.Items[0].Error);
        Assert.Equal(0, result.Items[0].Score);
        Assert.False(result.Items[0].Passed);
        Assert.Equal(0.8, result.Score, 1e-12);
        Assert.Equal(5, result.Usage.Calls);
    }

    [Fact]
    public async Task Evaluate_Throws_WhenMoreItemsFailThanTheAllowedShare()
    {
        var chat = new ScriptedChatClient(text => text.Contains("boom", StringComparison.Ordinal) ? throw new HttpRequestException("503") : "positive");
        var items = new[] { Item(1, "boom"), Item(2, "boom"), Item(3, "b"), Item(4, "c"), Item(5, "d") };

        var error = await Assert.ThrowsAsync<EvaluationFailedException>(() =>
            Evaluator(chat, maxFailedItemRatio: 0.2).EvaluateAsync(Prompt, items, TestContext.Current.CancellationToken));

        Assert.StartsWith("2 of 5 items failed", error.Message);
        Assert.Contains("503", error.Message);
    }

    [Fact]
    public async Task Evaluate_FailsAnItemWithoutCallingTheModel_WhenItsInputLacksAVariable()
    {
        var chat = new ScriptedChatClient(_ => "positive");
        var incomplete = new EvalItem(2, null, new Dictionary<string, string> { ["review"] = "no language" }, "positive");

        var result = await Evaluator(chat, maxFailedItemRatio: 0.5).EvaluateAsync(Prompt, [Item(1, "good"), incomplete], TestContext.Current.CancellationToken);

        Assert.Contains("'lang'", result.Items[1].Error);
        Assert.Single(chat.Requests);
        Assert.Equal(1, result.Usage.Calls);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Evaluate_NeverHasMoreCallsInFlightThanTheConcurrency(int concurrency)
    {
        var chat = new GatedChatClient(concurrency);
        var items = Enumerable.Range(1, 10).Select(i => Item(i, $"review {i}")).ToArray();

        await Evaluator(chat, concurrency).EvaluateAsync(Prompt, items, TestContext.Current.CancellationToken);

        Assert.Equal(concurrency, chat.MaxInFlight);
    }

    [Fact]
    public async Task Evaluate_StopsWithCancellation_NotWithFailedItems_WhenCancelled()
    {
        using var cancel = new CancellationTokenSource();
        var chat = new ScriptedChatClient(_ =>
        {
            cancel.Cancel();
            cancel.Token.ThrowIfCancellationRequested();
            return "positive";
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Evaluator(chat).EvaluateAsync(Prompt, [Item(1, "a"), Item(2, "b")], cancel.Token));
    }
}

/// <summary>Answers from the rendered user message; records every request.</summary>
internal sealed class ScriptedChatClient(Func<string, string> answer) : TestChatClient
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)> _requests = new();

    public IReadOnlyList<(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)> Requests => _requests.ToArray();

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        _requests.Enqueue((list, options));
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer(list[^1].Text))));
    }
}

/// <summary>Holds the first calls until <c>expected</c> of them are in flight at once, then lets everything through.</summary>
internal sealed class GatedChatClient(int expected) : TestChatClient
{
    private readonly TaskCompletionSource _full = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private int _maxInFlight;

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var now = Interlocked.Increment(ref _inFlight);
        for (var max = MaxInFlight; now > max; max = MaxInFlight) Interlocked.CompareExchange(ref _maxInFlight, now, max);
        if (now >= expected) _full.TrySetResult();
        try
        {
            await _full.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, "positive"));
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}

/// <summary>A chat client for tests: non-streaming calls only.</summary>
internal abstract class TestChatClient : IChatClient
{
    public abstract Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default);

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
