using PromptStudio.Core.Optimization;
using PromptStudio.Core.Prompts;

namespace PromptStudio.Core.Simulation;

/// <summary>
/// The dryRun mutator. It edits the current best prompt the way a model would, blindly: it adds an
/// instruction from the simulator's pool (helpful or not, it cannot tell), removes one, adds a worked
/// example from a training item, crosses the two best candidates, or now and then botches a rewrite and
/// loses a variable. Higher <c>mutationStrength</c> means more edits per candidate. Each candidate is a
/// hash of (seed, iteration, slot, parent prompt), so a resumed run proposes the same candidates.
/// </summary>
public sealed class SimulatedProposer(TimeSpan latency) : ICandidateProposer
{
    public async Task<IReadOnlyList<ProposedCandidate>> ProposeAsync(ProposalContext context, CancellationToken cancellationToken)
    {
        var results = new List<ProposedCandidate>(context.Count);
        for (var slot = 0; slot < context.Count; slot++)
        {
            if (latency > TimeSpan.Zero) await Task.Delay(latency, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();

            var rng = StableRandom.For(context.Seed, "mutate", context.Iteration, slot, context.Best.Prompt.ToString());
            var (prompt, kind) = Mutate(context, rng);
            var input = SimulatedChatClient.EstimateTokens(context.Best.Prompt.ToString()) + 60;
            var output = SimulatedChatClient.EstimateTokens(prompt.ToString());
            results.Add(new ProposedCandidate(prompt, kind, new LlmUsage(1, input, output, 0m)));
        }
        return results;
    }

    private static (PromptText, string) Mutate(ProposalContext context, Random rng)
    {
        var prompt = context.Best.Prompt;
        var edits = 1 + (rng.NextDouble() < context.MutationStrength ? 1 : 0) + (rng.NextDouble() < context.MutationStrength / 3 ? 1 : 0);
        var roll = rng.NextDouble();

        if (roll < 0.04) return (DropVariable(prompt), MutationKinds.Paraphrase);
        if (roll < 0.14 && context.RunnerUp is { } runnerUp) return (Crossover(prompt, runnerUp.Prompt), MutationKinds.Crossover);
        if (roll < 0.24 && context.TrainItems.Count > 0) return (AddExample(prompt, context.TrainItems, rng), MutationKinds.FewShot);
        if (roll < 0.38 && InstructionLines(prompt).Count > 0) return (RemoveInstruction(prompt, rng), MutationKinds.RemoveInstruction);

        var kind = MutationKinds.AddInstruction;
        for (var i = 0; i < edits; i++)
        {
            var absent = SimulatedKnowledge.Pool.Where(p => p.Key != "worked example" && !prompt.ToString().Contains(p.Key, StringComparison.OrdinalIgnoreCase)).ToList();
            if (absent.Count == 0)
            {
                kind = MutationKinds.Paraphrase;
                break;
            }
            prompt = WithInstruction(prompt, absent[rng.Next(absent.Count)].Text);
        }
        return (prompt, kind);
    }

    private static PromptText WithInstruction(PromptText prompt, string line) =>
        prompt with { Template = line + "\n" + prompt.Template };

    private static List<string> InstructionLines(PromptText prompt) =>
        prompt.Template.Split('\n').Where(line => SimulatedKnowledge.Pool.Any(p => line.StartsWith(p.Text, StringComparison.Ordinal))).ToList();

    private static PromptText RemoveInstruction(PromptText prompt, Random rng)
    {
        var lines = InstructionLines(prompt);
        var victim = lines[rng.Next(lines.Count)];
        var kept = prompt.Template.Split('\n').ToList();
        kept.Remove(victim);
        return prompt with { Template = string.Join('\n', kept) };
    }

    private static PromptText AddExample(PromptText prompt, IReadOnlyList<EvalItem> items, Random rng)
    {
        var item = items[rng.Next(items.Count)];
        var shown = string.Join("; ", item.Input.Select(kv => $"{kv.Key} = \"{Shorten(kv.Value)}\""));
        return WithInstruction(prompt, $"Worked example: {shown} → {item.ExpectedOutput}");
    }

    private static PromptText Crossover(PromptText best, PromptText other)
    {
        var merged = best;
        foreach (var line in InstructionLines(other).Where(l => !best.Template.Contains(l, StringComparison.Ordinal)))
            merged = WithInstruction(merged, line);
        return merged;
    }

    /// <summary>A botched rewrite that paraphrases a placeholder away; preserveVariables rejects it.</summary>
    private static PromptText DropVariable(PromptText prompt)
    {
        var variable = PromptTemplate.ExtractVariables(prompt.Template).FirstOrDefault();
        if (variable is null) return prompt with { Template = "Please be polite.\n" + prompt.Template };
        var template = System.Text.RegularExpressions.Regex.Replace(
            prompt.Template, @"\{\{\s*" + variable + @"\s*\}\}", "the text above", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
        return prompt with { Template = template };
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
