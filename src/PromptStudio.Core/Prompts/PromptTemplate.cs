using System.Text;
using System.Text.RegularExpressions;

namespace PromptStudio.Core.Prompts;

/// <summary>
/// <c>{{name}}</c> placeholders: letters, digits and underscore, with optional whitespace inside the braces.
/// </summary>
public static partial class PromptTemplate
{
    [GeneratedRegex(@"\{\{\s*([A-Za-z0-9_]+)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();

    /// <summary>Distinct variable names in order of first appearance.</summary>
    public static IReadOnlyList<string> ExtractVariables(params string?[] texts)
    {
        var names = new List<string>();
        foreach (var text in texts)
        {
            if (string.IsNullOrEmpty(text)) continue;
            foreach (Match match in Placeholder().Matches(text))
            {
                var name = match.Groups[1].Value;
                if (!names.Contains(name, StringComparer.Ordinal)) names.Add(name);
            }
        }
        return names;
    }

    /// <summary>Replaces every placeholder; a variable without a value is an error that names it.</summary>
    public static string Render(string template, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(template);
        // One pass (this runs for every item of every evaluation): the first placeholder without a value, in
        // order of appearance, is the one the error names.
        if (!template.Contains("{{", StringComparison.Ordinal)) return template;
        return Placeholder().Replace(template, m =>
            values.TryGetValue(m.Groups[1].Value, out var value) ? value : throw new MissingVariableException(m.Groups[1].Value));
    }

    /// <summary>Variables that <paramref name="candidate"/> drops or invents compared with <paramref name="original"/>.</summary>
    public static (IReadOnlyList<string> Dropped, IReadOnlyList<string> Invented) CompareVariables(
        IReadOnlyCollection<string> original, IReadOnlyCollection<string> candidate) =>
        (original.Except(candidate, StringComparer.Ordinal).ToList(),
         candidate.Except(original, StringComparer.Ordinal).ToList());
}

public sealed class MissingVariableException(string variable)
    : Exception($"The template uses the variable '{{{{{variable}}}}}' but no value was given for '{variable}'.")
{
    public string Variable { get; } = variable;
}

/// <summary>A system prompt (optional) and a user template: what the optimizer rewrites.</summary>
public sealed record PromptText(string? SystemPrompt, string Template)
{
    public IReadOnlyList<string> Variables => PromptTemplate.ExtractVariables(SystemPrompt, Template);

    public override string ToString()
    {
        if (string.IsNullOrEmpty(SystemPrompt)) return Template;
        return new StringBuilder().Append("[system]\n").Append(SystemPrompt).Append("\n[user]\n").Append(Template).ToString();
    }
}
