using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Llm;
using PromptStudio.Core.Optimization;

namespace PromptStudio.Core.Metrics;

/// <summary>One named criterion of an <c>llm_judge</c> rubric.</summary>
public sealed record JudgeCriterion(string Name, string Description)
{
    public static readonly IReadOnlyList<JudgeCriterion> Default =
    [
        new("correctness", "The response gives the right answer; when a reference answer is given, it agrees with it."),
        new("instruction_following", "The response does exactly what the prompt asks, in the requested form, without extra text."),
    ];

    internal static IReadOnlyList<JudgeCriterion>? ParseList(string field, JsonElement value, ValidationErrors errors)
    {
        var list = new List<JudgeCriterion>();
        foreach (var e in value.EnumerateArray())
        {
            if (e.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(e.GetString())) list.Add(new(e.GetString()!.Trim(), e.GetString()!.Trim()));
            else if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(n.GetString()))
                list.Add(new(n.GetString()!.Trim(), e.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : n.GetString()!));
            else
            {
                errors.Add(field, "each criterion is a name or an object {\"name\": ..., \"description\": ...}.");
                return null;
            }
        }
        if (list.Count == 0 || list.Select(c => c.Name).Distinct(StringComparer.Ordinal).Count() != list.Count)
        {
            errors.Add(field, "criteria must be a non-empty list of distinct names.");
            return null;
        }
        return list;
    }
}

/// <summary>
/// G-Eval style judge: the judge model rates the output 1–5 on each named criterion after writing its
/// reasoning; the metric is the mean of the ratings scaled to 0–1, and the reasoning is kept with the item.
/// </summary>
public sealed class LlmJudge(IChatClient judge)
{
    public const int ScaleMin = 1;
    public const int ScaleMax = 5;

    public async Task<(double Score, string Reasoning, LlmUsage Usage)> ScoreAsync(
        IReadOnlyList<JudgeCriterion> criteria, EvalItem item, string output, CancellationToken ct)
    {
        var response = await judge.GetResponseAsync(
            [new ChatMessage(ChatRole.System, Instructions(criteria)), new ChatMessage(ChatRole.User, Case(item, output))],
            new ChatOptions { Temperature = 0 }, ct);
        var usage = UsageChatClient.LlmUsageOf(response);
        var (score, reasoning) = Parse(response.Text ?? "", criteria);
        return (score, reasoning, usage);
    }

    internal static string Instructions(IReadOnlyList<JudgeCriterion> criteria)
    {
        var sb = new StringBuilder()
            .AppendLine("You are a strict, impartial evaluator of a language model's response.")
            .AppendLine(CultureInfo.InvariantCulture, $"Rate the response on each criterion with a whole number from {ScaleMin} (fails it) to {ScaleMax} (fully meets it):");
        foreach (var c in criteria) sb.Append("- ").Append(c.Name).Append(": ").AppendLine(c.Description);
        sb.AppendLine("Think step by step, then answer with JSON only, in this shape:")
          .Append("{\"reasoning\": \"why, in a few sentences\", \"scores\": {")
          .Append(string.Join(", ", criteria.Select(c => $"\"{c.Name}\": {ScaleMin}-{ScaleMax}")))
          .AppendLine("}}");
        return sb.ToString();
    }

    internal static string Case(EvalItem item, string output)
    {
        var sb = new StringBuilder("Input:\n");
        foreach (var (name, value) in item.Input) sb.Append(name).Append(": ").AppendLine(value);
        if (item.ExpectedOutput is not null) sb.Append("\nReference answer:\n").AppendLine(item.ExpectedOutput);
        sb.Append("\nResponse to rate:\n").AppendLine(output);
        return sb.ToString();
    }

    /// <summary>The normalised mean rating and the judge's reasoning; an unreadable verdict scores 0 and says why.</summary>
    internal static (double Score, string Reasoning) Parse(string answer, IReadOnlyList<JudgeCriterion> criteria)
    {
        var start = answer.IndexOf('{', StringComparison.Ordinal);
        var end = answer.LastIndexOf('}');
        if (start < 0 || end <= start) return (0, $"The judge's answer had no JSON verdict: {Clip(answer)}");
        try
        {
            using var doc = JsonDocument.Parse(answer[start..(end + 1)]);
            var root = doc.RootElement;
            var reasoning = root.TryGetProperty("reasoning", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "";
            if (!root.TryGetProperty("scores", out var scores) || scores.ValueKind != JsonValueKind.Object)
                return (0, $"The judge's verdict had no scores: {Clip(answer)}");
            double total = 0;
            var missing = new List<string>();
            foreach (var c in criteria)
            {
                if (scores.TryGetProperty(c.Name, out var s) && s.ValueKind == JsonValueKind.Number)
                    total += Math.Clamp((s.GetDouble() - ScaleMin) / (ScaleMax - ScaleMin), 0, 1);
                else missing.Add(c.Name);
            }
            if (missing.Count > 0) reasoning += $" (no rating for {string.Join(", ", missing)}: counted as 0)";
            return (total / criteria.Count, reasoning.Trim());
        }
        catch (JsonException)
        {
            return (0, $"The judge's verdict was not valid JSON: {Clip(answer)}");
        }
    }

    private static string Clip(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
