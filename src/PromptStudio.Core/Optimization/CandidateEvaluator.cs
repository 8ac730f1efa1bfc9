using Microsoft.Extensions.AI;
using PromptStudio.Core.Llm;
using PromptStudio.Core.Metrics;
using PromptStudio.Core.Prompts;

namespace PromptStudio.Core.Optimization;

/// <summary>
/// Runs one candidate prompt over a set of items through an <see cref="IChatClient"/>, a bounded number of
/// calls at a time, and scores the outputs. A failing call costs that item its score, not the evaluation,
/// until more than the allowed share of items has failed.
/// </summary>
public sealed class CandidateEvaluator(
    IChatClient chat,
    string model,
    MetricScorer scorer,
    int concurrency,
    double maxFailedItemRatio,
    double? temperature = null,
    bool passAnswerKey = false)
{
    /// <summary>ChatOptions property that carries an item's id and expected output to the dryRun simulator only.</summary>
    public const string AnswerKeyProperty = "promptstudio.simulator.expected";
    public const string ItemIdProperty = "promptstudio.simulator.item";

    public async Task<(IReadOnlyList<ItemResult> Items, LlmUsage Usage)> RunAsync(
        PromptText prompt, IReadOnlyList<EvalItem> items, CancellationToken cancellationToken)
    {
        var results = new ItemResult[items.Count];
        var usages = new LlmUsage[items.Count];
        try
        {
            await Parallel.ForEachAsync(
                Enumerable.Range(0, items.Count),
                new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
                async (i, ct) => (results[i], usages[i]) = await EvaluateItemAsync(prompt, items[i], ct));
        }
        catch (BudgetExceededException e)
        {
            // The evaluation is abandoned, but the calls its finished items made were paid for.
            throw new BudgetExceededException(e.Message, usages.Where(u => u is not null).Aggregate(LlmUsage.Zero, (a, b) => a + b));
        }

        var usage = usages.Aggregate(LlmUsage.Zero, (a, b) => a + b);
        var failed = results.Where(r => r.Error is not null).ToList();
        if (items.Count > 0 && failed.Count > maxFailedItemRatio * items.Count)
        {
            throw new EvaluationFailedException(
                $"{failed.Count} of {items.Count} items failed (more than the allowed {maxFailedItemRatio:P0}); first error: {failed[0].Error}");
        }
        return (results, usage);
    }

    public async Task<EvaluationResult> EvaluateAsync(
        PromptText prompt, IReadOnlyList<EvalItem> items, CancellationToken cancellationToken)
    {
        var (results, usage) = await RunAsync(prompt, items, cancellationToken);
        return Summarize(results, usage);
    }

    public EvaluationResult Summarize(IReadOnlyList<ItemResult> results, LlmUsage usage)
    {
        var perMetric = scorer.MetricNames.ToDictionary(
            n => n,
            n => results.Count == 0 ? 0 : results.Average(r => r.MetricScores.GetValueOrDefault(n)),
            StringComparer.Ordinal);
        var score = results.Count == 0 ? 0 : results.Average(r => r.Score);
        return new EvaluationResult(score, perMetric, results, usage) { Scorecard = Scorecard.Compute(scorer.Specs, results) };
    }

    private async Task<(ItemResult, LlmUsage)> EvaluateItemAsync(PromptText prompt, EvalItem item, CancellationToken ct)
    {
        List<ChatMessage> messages;
        try
        {
            messages = [];
            if (!string.IsNullOrWhiteSpace(prompt.SystemPrompt))
                messages.Add(new ChatMessage(ChatRole.System, PromptTemplate.Render(prompt.SystemPrompt, item.Input)));
            messages.Add(new ChatMessage(ChatRole.User, PromptTemplate.Render(prompt.Template, item.Input)));
        }
        catch (MissingVariableException e)
        {
            return (Failed(item, e.Message), LlmUsage.Zero);
        }

        var options = new ChatOptions { ModelId = model, Temperature = temperature is null ? null : (float)temperature };
        if (passAnswerKey)
        {
            options.AdditionalProperties = new()
            {
                [AnswerKeyProperty] = item.ExpectedOutput,
                [ItemIdProperty] = item.Id,
            };
        }

        try
        {
            var response = await chat.GetResponseAsync(messages, options, ct);
            var output = response.Text ?? "";
            var scored = await scorer.ScoreAsync(output, item, ct);
            return (new ItemResult(item.Id, output, scored.Score, scored.PerMetric, Reasoning: scored.Reasoning),
                UsageChatClient.LlmUsageOf(response) + scored.JudgeUsage);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is not (OutOfMemoryException or BudgetExceededException) && e is not LlmProviderException { IsFatal: true })
        {
            return (Failed(item, e.Message), new LlmUsage(1, 0, 0, 0m));
        }
    }

    private ItemResult Failed(EvalItem item, string error) =>
        new(item.Id, null, 0, scorer.MetricNames.ToDictionary(n => n, _ => 0.0, StringComparer.Ordinal), error);
}

/// <summary>Too many items of one evaluation failed: the job fails with this message.</summary>
public sealed class EvaluationFailedException(string message) : Exception(message);
