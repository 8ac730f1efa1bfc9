using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using PromptStudio.Core.Optimization;
using PromptStudio.Core.Prompts;
using PromptStudio.Core.Simulation;

namespace PromptStudio.Core.Llm;

/// <summary>
/// The real mutator: each candidate slot applies one operator, written as a meta-prompt to the mutation
/// model — failure-driven rewrite (critique of failing items, then a rewrite), paraphrase, added constraints
/// and output format, few-shot examples from training items, or crossover of the two best prompts.
/// <c>mutationStrength</c> says how far a rewrite may go and sets the sampling temperature. Operators rotate
/// by iteration and slot, so a resumed run asks the same questions (and the cache answers them).
/// </summary>
public sealed partial class LlmProposer(IChatClient mutator) : ICandidateProposer
{
    internal const int MaxFailuresShown = 5;
    internal const int MaxExamples = 3;
    private const int MaxValueLength = 400;

    public async Task<IReadOnlyList<ProposedCandidate>> ProposeAsync(ProposalContext context, CancellationToken cancellationToken)
    {
        var operators = Operators(context);
        var tasks = Enumerable.Range(0, context.Count).Select(slot =>
        {
            var kind = operators[(context.Iteration - 1 + slot) % operators.Count];
            return ProposeOneAsync(context, slot, kind, cancellationToken);
        });
        return await Task.WhenAll(tasks);
    }

    /// <summary>The operators that apply this iteration, failure-driven first when there are failures to learn from.</summary>
    internal static IReadOnlyList<string> Operators(ProposalContext context)
    {
        var ops = new List<string>();
        if (Failures(context).Count > 0) ops.Add(MutationKinds.FailureDriven);
        ops.Add(MutationKinds.AddInstruction);
        if (context.TrainItems.Any(i => i.ExpectedOutput is not null)) ops.Add(MutationKinds.FewShot);
        if (context.RunnerUp is not null) ops.Add(MutationKinds.Crossover);
        ops.Add(MutationKinds.Paraphrase);
        return ops;
    }

    private async Task<ProposedCandidate> ProposeOneAsync(ProposalContext context, int slot, string kind, CancellationToken ct)
    {
        var prompt = context.Best.Prompt;
        var messages = new List<ChatMessage>
        {
            new(ChatRole.System, SystemInstructions(prompt, context.MutationStrength)),
            new(ChatRole.User, Assignment(context, slot, kind)),
        };
        var options = new ChatOptions { Temperature = (float)(0.2 + 0.8 * context.MutationStrength) };
        var response = await mutator.GetResponseAsync(messages, options, ct);
        return new ProposedCandidate(Parse(response.Text ?? "", prompt), kind, UsageChatClient.LlmUsageOf(response));
    }

    internal static string SystemInstructions(PromptText prompt, double strength)
    {
        var variables = prompt.Variables;
        var sb = new StringBuilder()
            .AppendLine("You are an expert prompt engineer. You improve a prompt template that is sent to a language model once per test case.")
            .AppendLine(strength switch
            {
                < 0.34 => "Make a small, conservative edit: change or add at most one or two sentences and keep everything else word for word.",
                < 0.67 => "Make a moderate edit: you may rework up to about half of the prompt, keeping its intent.",
                _ => "You may rewrite the prompt substantially if that helps, keeping its intent.",
            });
        if (variables.Count > 0)
        {
            sb.Append("The template has placeholders in double braces: ")
              .Append(string.Join(", ", variables.Select(v => $"{{{{{v}}}}}")))
              .AppendLine(". Keep every one of them exactly as written and add no new placeholders.");
        }
        sb.AppendLine("Answer in this format and nothing else:");
        if (prompt.SystemPrompt is not null) sb.AppendLine("<system_prompt>the improved system prompt</system_prompt>");
        sb.AppendLine("<prompt>the improved prompt template</prompt>");
        return sb.ToString();
    }

    private static string Assignment(ProposalContext context, int slot, string kind)
    {
        var sb = new StringBuilder();
        AppendPrompt(sb, "Current prompt", context.Best.Prompt);
        switch (kind)
        {
            case MutationKinds.FailureDriven:
                sb.AppendLine("These test cases failed under the current prompt:");
                foreach (var (item, result) in Failures(context).Take(MaxFailuresShown))
                {
                    sb.AppendLine("---");
                    AppendInput(sb, item);
                    sb.Append("Model output: ").AppendLine(Clip(result.Output ?? $"(no output: {result.Error})"));
                    sb.Append("Expected output: ").AppendLine(Clip(item.ExpectedOutput ?? "(none)"));
                }
                sb.AppendLine("---")
                  .AppendLine("First write a short critique of why the prompt leads to these failures inside <critique>…</critique>, then write the rewrite that fixes them.");
                break;
            case MutationKinds.AddInstruction:
                sb.AppendLine("Add precise constraints and an explicit output-format instruction (exact form, length, allowed values) so the model's answer can be checked automatically. Do not remove what already works.");
                break;
            case MutationKinds.FewShot:
                sb.AppendLine("Add these worked examples to the prompt (as examples of input and correct output) so the model sees what a correct answer looks like:");
                foreach (var item in Examples(context, slot))
                {
                    sb.AppendLine("---");
                    AppendInput(sb, item);
                    sb.Append("Correct output: ").AppendLine(Clip(item.ExpectedOutput!));
                }
                sb.AppendLine("---");
                break;
            case MutationKinds.Crossover:
                AppendPrompt(sb, "Second-best prompt", context.RunnerUp!.Prompt);
                sb.AppendLine("Combine the two prompts into one that keeps the strongest instructions of each.");
                break;
            default:
                sb.AppendLine("Paraphrase the prompt: say the same thing more clearly and precisely, without adding new requirements.");
                break;
        }
        return sb.ToString();
    }

    private static void AppendPrompt(StringBuilder sb, string title, PromptText prompt)
    {
        if (prompt.SystemPrompt is not null) sb.Append(title).Append(" (system part):\n<system_prompt>").Append(prompt.SystemPrompt).AppendLine("</system_prompt>");
        sb.Append(title).Append(":\n<prompt>").Append(prompt.Template).AppendLine("</prompt>");
    }

    private static void AppendInput(StringBuilder sb, EvalItem item)
    {
        foreach (var (name, value) in item.Input) sb.Append("Input ").Append(name).Append(": ").AppendLine(Clip(value));
    }

    /// <summary>Training items the current best prompt got wrong (held-out items are never in <see cref="ProposalContext.TrainItems"/>).</summary>
    internal static IReadOnlyList<(EvalItem Item, ItemResult Result)> Failures(ProposalContext context)
    {
        var results = context.Best.Evaluation?.Items ?? [];
        var byId = context.TrainItems.ToDictionary(i => i.Id);
        return results.Where(r => !r.Passed && byId.ContainsKey(r.ItemId)).Select(r => (byId[r.ItemId], r)).ToList();
    }

    private static IEnumerable<EvalItem> Examples(ProposalContext context, int slot) =>
        context.TrainItems.Where(i => i.ExpectedOutput is not null)
            .OrderBy(i => StableRandom.Hash(context.Seed, "few-shot", context.Iteration, slot, i.Id))
            .Take(MaxExamples);

    private static string Clip(string text) => text.Length <= MaxValueLength ? text : text[..MaxValueLength] + "…";

    [GeneratedRegex(@"<prompt>\s*(.*?)\s*</prompt>", RegexOptions.Singleline)]
    private static partial Regex PromptTag();

    [GeneratedRegex(@"<system_prompt>\s*(.*?)\s*</system_prompt>", RegexOptions.Singleline)]
    private static partial Regex SystemTag();

    [GeneratedRegex(@"<critique>.*?</critique>", RegexOptions.Singleline)]
    private static partial Regex CritiqueTag();

    /// <summary>The rewritten prompt from the model's answer; without tags, the answer (critique removed) is the template.</summary>
    internal static PromptText Parse(string answer, PromptText current)
    {
        var template = PromptTag().Match(answer) is { Success: true } m ? m.Groups[1].Value : CritiqueTag().Replace(answer, "").Trim();
        var system = current.SystemPrompt is null ? null
            : SystemTag().Match(answer) is { Success: true } s ? s.Groups[1].Value : current.SystemPrompt;
        return new PromptText(system, template.Length == 0 ? current.Template : template);
    }
}
