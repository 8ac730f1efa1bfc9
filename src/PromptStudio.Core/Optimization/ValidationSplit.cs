using PromptStudio.Core.Jobs;
using PromptStudio.Core.Simulation;

namespace PromptStudio.Core.Optimization;

/// <summary>The held-out part of a dataset (<c>tuningParams.validationSplit</c>).</summary>
public static class ValidationSplit
{
    /// <summary>How many of <paramref name="itemCount"/> items are held out: the rounded share, at least one and never all when the share is above 0.</summary>
    public static int HeldOutCount(int itemCount, double validationSplit)
    {
        var count = (int)Math.Round(itemCount * validationSplit);
        if (validationSplit > 0 && itemCount >= 2) count = Math.Clamp(count, 1, itemCount - 1);
        return count;
    }

    /// <summary>A fixed, seed-determined split: the same items are held out on every resume.</summary>
    public static (IReadOnlyList<EvalItem> Train, IReadOnlyList<EvalItem> HeldOut) Split(IReadOnlyList<EvalItem> items, TuningParameters tuning)
    {
        var count = HeldOutCount(items.Count, tuning.ValidationSplit);
        if (count == 0) return (items, []);
        var heldOut = items.OrderBy(i => StableRandom.Hash(tuning.Seed, "split", i.Id)).Take(count).Select(i => i.Id).ToHashSet();
        return (items.Where(i => !heldOut.Contains(i.Id)).ToList(), items.Where(i => heldOut.Contains(i.Id)).ToList());
    }
}
