using System.Text;

namespace PromptStudio.Core.Simulation;

/// <summary>
/// Deterministic randomness for the simulator: every draw is a hash of what it is about (seed, iteration,
/// prompt text…), never a sequence, so a resumed run draws exactly what an uninterrupted one would.
/// </summary>
public static class StableRandom
{
    /// <summary>FNV-1a over the parts (string.GetHashCode differs between processes).</summary>
    public static ulong Hash(params object?[] parts)
    {
        var hash = 14695981039346656037UL;
        foreach (var part in parts)
        {
            foreach (var b in Encoding.UTF8.GetBytes(part?.ToString() ?? "\0"))
            {
                hash ^= b;
                hash *= 1099511628211UL;
            }
            hash ^= 0xFF;
            hash *= 1099511628211UL;
        }
        // Final avalanche so nearby inputs spread over the whole range.
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        return hash;
    }

    /// <summary>A number in [0, 1) determined by the parts.</summary>
    public static double Unit(params object?[] parts) => (Hash(parts) >> 11) * (1.0 / (1UL << 53));

    /// <summary>A seeded <see cref="Random"/> for a sequence of draws about one thing.</summary>
    public static Random For(params object?[] parts) => new((int)(Hash(parts) & 0x7FFF_FFFF));
}
