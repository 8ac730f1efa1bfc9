namespace PromptStudio.Core.Simulation;

/// <summary>
/// The simulated model's hidden taste: instructions that make it answer correctly more often (or less).
/// The optimizer never sees these weights; it only sees scores, so it has to find the useful instructions
/// by proposing, scoring and selecting, as it would with a real model.
/// </summary>
public static class SimulatedKnowledge
{
    public sealed record Instruction(string Key, string Text, double Effect, bool Helpful);

    public const double BaseAccuracy = 0.28;
    public const double MaxAccuracy = 0.93;

    public static readonly IReadOnlyList<Instruction> Pool =
    [
        new("only the label", "Answer with only the label, nothing else.", 0.16, true),
        new("negations", "Watch for negations and sarcasm: they flip the meaning.", 0.10, true),
        new("mixed feelings", "When the text shows mixed feelings, pick the one that dominates.", 0.08, true),
        new("whole text", "Read the whole text before deciding.", 0.06, true),
        new("lowercase", "Write the label in lowercase.", 0.05, true),
        new("worked example", "Worked example:", 0.07, true),
        new("neutral means", "Neutral means the text states facts without a feeling.", 0.06, true),
        new("world-class", "You are a world-class annotator.", 0.01, false),
        new("take your time", "Take your time.", 0.0, false),
        new("be creative", "Be creative in your reply.", -0.07, false),
        new("reasoning in detail", "Explain your reasoning in detail.", -0.12, false),
        new("polite", "Please be polite.", 0.0, false),
        new("summarize", "Summarize the text first.", -0.05, false),
        new("bullet points", "Use bullet points.", -0.04, false),
    ];

    /// <summary>How often the simulated model answers correctly under a prompt: a function of the prompt's text alone.</summary>
    public static double Accuracy(string promptText)
    {
        var accuracy = BaseAccuracy;
        foreach (var instruction in Pool)
        {
            if (promptText.Contains(instruction.Key, StringComparison.OrdinalIgnoreCase)) accuracy += instruction.Effect;
        }
        return Math.Clamp(accuracy, 0.02, MaxAccuracy);
    }

    public static IEnumerable<Instruction> PresentIn(string promptText) =>
        Pool.Where(i => promptText.Contains(i.Key, StringComparison.OrdinalIgnoreCase));
}
