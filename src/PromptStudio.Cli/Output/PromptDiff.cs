using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using Spectre.Console;

namespace PromptStudio.Cli.Output;

/// <summary>Line diffs of prompts, for <c>prompts diff</c> and <c>optimize results --diff</c>.</summary>
public static class PromptDiff
{
    public sealed record Line(string Change, string Text);

    /// <summary>The lines of <paramref name="after"/> against <paramref name="before"/>: "unchanged", "deleted" or "inserted".</summary>
    public static IReadOnlyList<Line> Lines(string? before, string? after) =>
        InlineDiffBuilder.Diff(before ?? "", after ?? "", ignoreWhiteSpace: false).Lines
            .Where(l => l.Type != ChangeType.Imaginary)
            .Select(l => new Line(l.Type switch
            {
                ChangeType.Inserted => "inserted",
                ChangeType.Deleted => "deleted",
                ChangeType.Modified => "modified",
                _ => "unchanged",
            }, l.Text ?? ""))
            .ToList();

    /// <summary>Prints a titled unified-style diff: '-' removed lines in red, '+' added lines in green.</summary>
    public static void Write(IAnsiConsole console, string title, string? before, string? after)
    {
        console.MarkupLine($"[bold]{Markup.Escape(title)}[/]");
        if (before == after)
        {
            console.MarkupLine("  [grey](unchanged)[/]");
            return;
        }
        foreach (var line in Lines(before, after))
        {
            var text = Markup.Escape(line.Text);
            console.MarkupLine(line.Change switch
            {
                "inserted" => $"[green]+ {text}[/]",
                "deleted" => $"[red]- {text}[/]",
                _ => $"  {text}",
            });
        }
    }
}
