using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using PromptStudio.Cli.Output;
using PromptStudio.Client;
using Spectre.Console;

namespace PromptStudio.Cli.Datasets;

public static class DatasetCommands
{
    /// <summary>The server takes at most this many items per request.</summary>
    private const int ItemsPerRequest = 10_000;

    private static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonSerializerOptions LineJson = new(FileJson) { WriteIndented = false };

    public static Command Build(CliHost host) => new("datasets", "Datasets of test cases")
    {
        List(host),
        Show(host),
        Import(host),
        Export(host),
    };

    private static Argument<int> Id() => new("datasetId") { Description = "The dataset id" };

    private static Option<DatasetFormat?> FormatOption(string description) => new("--format") { Description = description };

    private static Command List(CliHost host) => new Command("list", "All datasets").Handle(host, async ctx =>
        ctx.WriteList(await ctx.Client.ListDatasetsAsync(ctx.CancellationToken),
            "[grey]No datasets yet. Import one with:[/] promptstudio datasets import <file.json|.jsonl|.csv> --name <name>",
            ["Id", "Name", "Items", "Variables", "Created", "By"],
            d => [d.Id.ToString(), Markup.Escape(d.Name), d.ItemCount.ToString(), Markup.Escape(string.Join(", ", d.Variables)), Format.Time(d.CreatedAt), Markup.Escape(d.CreatedBy)]));

    private static Command Show(CliHost host)
    {
        var id = Id();
        var limit = new Option<int>("--limit") { Description = "How many items to show (1–1000)", DefaultValueFactory = _ => 20 };
        limit.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 1000) r.AddError("--limit must be between 1 and 1000.");
        });
        return new Command("show", "A dataset and its first items") { id, limit }.Handle(host, async ctx =>
        {
            var dataset = await ctx.Client.GetDatasetAsync(ctx.Get(id), ctx.CancellationToken);
            var page = await ctx.Client.GetDatasetItemsAsync(dataset.Id, 0, ctx.Get(limit), ctx.CancellationToken);
            if (ctx.Json)
            {
                ctx.WriteJson(new { dataset, items = page.Items });
                return ExitCodes.Success;
            }
            ctx.Console.MarkupLine($"[bold]{Markup.Escape(dataset.Name)}[/]  [grey]id {dataset.Id} · {dataset.ItemCount} items · variables: {Markup.Escape(string.Join(", ", dataset.Variables))}[/]");
            if (!string.IsNullOrWhiteSpace(dataset.Description)) ctx.Console.WriteLine(dataset.Description);
            var table = Format.Table("Id", "Name", "Input", "Expected output", "Labels");
            foreach (var item in page.Items)
                table.Row(item.Id.ToString(), item.Name, Format.Short(string.Join("; ", item.Input.Select(kv => $"{kv.Key}={kv.Value}")), 60),
                    Format.Short(item.ExpectedOutput, 40), string.Join(", ", item.Labels));
            ctx.Console.Write(table);
            if (page.Total > page.Items.Count) ctx.Console.MarkupLine($"[grey]{page.Items.Count} of {page.Total} items shown; --limit shows more, datasets export writes them all.[/]");
            return ExitCodes.Success;
        });
    }

    private static Command Import(CliHost host)
    {
        var file = new Argument<FileInfo>("file") { Description = "A .json, .jsonl or .csv file of items" };
        var name = new Option<string?>("--name") { Description = "The new dataset's name (default: the file's name, or the name inside a JSON file)" };
        var description = new Option<string?>("--description") { Description = "The new dataset's description" };
        var into = new Option<int?>("--into") { Description = "Add the items to this existing dataset instead of creating one" };
        var format = FormatOption("json, jsonl or csv (default: from the file's extension)");
        var command = new Command("import", "Create a dataset from a file (or add its items to one); a file with a bad row imports nothing")
        {
            file, name, description, into, format,
        };
        return command.Handle(host, async ctx =>
        {
            var path = ctx.Get(file);
            if (!path.Exists) throw new UsageException($"File not found: {path.FullName}");
            var content = DatasetFile.Read(await File.ReadAllTextAsync(path.FullName, ctx.CancellationToken), DatasetFile.FormatOf(path.Name, ctx.Get(format)));
            if (content.Problems.Count > 0) return ReportProblems(ctx, path.Name, content.Problems);

            var items = content.Items.ToList();
            var chunks = items.Chunk(ItemsPerRequest).ToList();
            DatasetDto dataset;
            if (ctx.Get(into) is { } targetId)
            {
                // Checked as a whole on this side already, so the server refuses none of the chunks for their content.
                foreach (var chunk in chunks) await ctx.Client.AddDatasetItemsAsync(targetId, new AddDatasetItemsRequest(chunk.ToList()), ctx.CancellationToken);
                dataset = await ctx.Client.GetDatasetAsync(targetId, ctx.CancellationToken);
            }
            else
            {
                var datasetName = ctx.Get(name) ?? content.Name ?? Path.GetFileNameWithoutExtension(path.Name);
                dataset = await ctx.Client.CreateDatasetAsync(new CreateDatasetRequest(datasetName, chunks[0].ToList(), ctx.Get(description) ?? content.Description), ctx.CancellationToken);
                foreach (var chunk in chunks.Skip(1)) await ctx.Client.AddDatasetItemsAsync(dataset.Id, new AddDatasetItemsRequest(chunk.ToList()), ctx.CancellationToken);
                if (chunks.Count > 1) dataset = await ctx.Client.GetDatasetAsync(dataset.Id, ctx.CancellationToken);
            }

            if (ctx.Json) ctx.WriteJson(new { imported = items.Count, dataset });
            else ctx.Console.MarkupLine($"Imported [bold]{items.Count}[/] items into dataset [bold]{dataset.Id}[/] ({Markup.Escape(dataset.Name)}, {dataset.ItemCount} items; variables: {Markup.Escape(string.Join(", ", dataset.Variables))})");
            return ExitCodes.Success;
        });
    }

    private static int ReportProblems(CommandContext ctx, string fileName, IReadOnlyList<RowProblem> problems)
    {
        if (ctx.Json)
        {
            ctx.Host.Error.WriteLine(JsonSerializer.Serialize(new { error = new { message = $"{fileName}: nothing was imported.", imported = 0, rows = problems } }, FileJson));
            return ExitCodes.Failure;
        }
        var err = ctx.Host.ErrorConsole;
        err.MarkupLine($"[red]Error:[/] {Markup.Escape(fileName)} has {problems.Count} problem{(problems.Count == 1 ? "" : "s")}; nothing was imported.");
        var table = Format.Table("Row", "Field", "Problem");
        foreach (var p in problems) table.Row(p.Row, p.Field, p.Message);
        err.Write(table);
        err.MarkupLine("Fix these rows and run the import again.");
        return ExitCodes.Failure;
    }

    private static Command Export(CliHost host)
    {
        var id = Id();
        var format = FormatOption("json (default), jsonl or csv");
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write to this file instead of stdout (its extension sets the format unless --format is given)" };
        return new Command("export", "Write a dataset's items as JSON, JSON lines or CSV, in the shape import reads") { id, format, output }.Handle(host, async ctx =>
        {
            var target = ctx.Get(output);
            var chosen = ctx.Get(format) ?? (target is null ? DatasetFormat.Json : DatasetFile.FormatOf(target.Name, null));
            var dataset = await ctx.Client.GetDatasetAsync(ctx.Get(id), ctx.CancellationToken);
            var items = new List<DatasetItemDto>();
            await foreach (var item in ctx.Client.GetAllDatasetItemsAsync(dataset.Id, ctx.CancellationToken)) items.Add(item);

            var writer = target is null ? ctx.Host.Out : new StreamWriter(target.FullName);
            try
            {
                switch (chosen)
                {
                    case DatasetFormat.Json:
                        await writer.WriteLineAsync(JsonSerializer.Serialize(new
                        {
                            name = dataset.Name,
                            description = dataset.Description,
                            items = items.Select(DatasetFile.ToFileItem),
                        }, FileJson));
                        break;
                    case DatasetFormat.Jsonl:
                        foreach (var item in items) await writer.WriteLineAsync(JsonSerializer.Serialize(DatasetFile.ToFileItem(item), LineJson));
                        break;
                    default:
                        DatasetFile.WriteCsv(writer, items);
                        break;
                }
            }
            finally
            {
                if (target is null) await writer.FlushAsync(ctx.CancellationToken);
                else await writer.DisposeAsync();
            }

            if (target is not null)
            {
                if (ctx.Json) ctx.WriteJson(new { path = target.FullName, format = chosen.ToString().ToLowerInvariant(), items = items.Count });
                else ctx.Console.MarkupLine($"Wrote {items.Count} items of dataset {dataset.Id} to {Markup.Escape(target.FullName)}");
            }
            return ExitCodes.Success;
        });
    }
}
