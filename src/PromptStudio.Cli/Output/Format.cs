using System.Globalization;
using Spectre.Console;

namespace PromptStudio.Cli.Output;

/// <summary>How values look in human output.</summary>
public static class Format
{
    public static string Score(double? score) => score is { } s ? s.ToString("0.000", CultureInfo.InvariantCulture) : "–";

    public static string Signed(double? value) => value is { } v ? v.ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture) : "–";

    public static string Time(DateTimeOffset? time) => time is { } t ? t.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "–";

    /// <summary>The first line of a text, cut to <paramref name="max"/> characters.</summary>
    public static string Short(string? text, int max = 60)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= max ? line : line[..(max - 1)] + "…";
    }

    public static string StatusMarkup(string status) => status switch
    {
        "completed" => "[green]completed[/]",
        "failed" => "[red]failed[/]",
        "cancelled" => "[yellow]cancelled[/]",
        "paused" => "[yellow]paused[/]",
        "running" => "[blue]running[/]",
        _ => Markup.Escape(status),
    };

    public static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in columns) table.AddColumn(new TableColumn(new Markup($"[bold]{Markup.Escape(column)}[/]")));
        return table;
    }

    /// <summary>A row of plain (unescaped-safe) text cells.</summary>
    public static Table Row(this Table table, params string?[] cells)
    {
        table.AddRow(cells.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(c ?? "")).ToArray());
        return table;
    }
}
