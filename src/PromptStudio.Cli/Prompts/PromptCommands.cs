using System.CommandLine;
using PromptStudio.Cli.Optimization;
using PromptStudio.Cli.Output;
using PromptStudio.Client;
using Spectre.Console;

namespace PromptStudio.Cli.Prompts;

public static class PromptCommands
{
    public static Command Build(CliHost host) => new("prompts", "Prompt templates and their versions")
    {
        List(host),
        Show(host),
        Create(host),
        Versions(host),
        AddVersion(host),
        Diff(host),
        new Command("optimize", "Optimize a prompt on a dataset") { OptimizeCommands.BuildStart(host) },
    };

    private static Argument<int> Id(string name = "promptId", string description = "The prompt (version) id") => new(name) { Description = description };

    private static Command List(CliHost host) => new Command("list", "The latest version of every prompt").Handle(host, async ctx =>
        ctx.WriteList(await ctx.Client.ListPromptsAsync(ctx.CancellationToken),
            "[grey]No prompts yet. Create one with:[/] promptstudio prompts create --name <name> --template <text>",
            ["Id", "Name", "Version", "Variables", "Created", "By"],
            p => [p.Id.ToString(), Markup.Escape(p.Name), $"v{p.Version}", Markup.Escape(string.Join(", ", p.Variables)), Format.Time(p.CreatedAt), Markup.Escape(p.CreatedBy)]));

    private static Command Show(CliHost host)
    {
        var id = Id();
        return new Command("show", "One prompt version with its system prompt and template") { id }.Handle(host, async ctx =>
        {
            var prompt = await ctx.Client.GetPromptAsync(ctx.Get(id), ctx.CancellationToken);
            if (ctx.Json) ctx.WriteJson(prompt);
            else WritePrompt(ctx.Console, prompt);
            return ExitCodes.Success;
        });
    }

    public static void WritePrompt(IAnsiConsole console, PromptDto p)
    {
        console.MarkupLine($"[bold]{Markup.Escape(p.Name)}[/] v{p.Version}{(p.IsLatest ? " (latest)" : "")}  [grey]id {p.Id} · group {p.GroupId}[/]");
        if (!string.IsNullOrWhiteSpace(p.Description)) console.WriteLine(p.Description);
        console.MarkupLine($"[grey]variables:[/] {Markup.Escape(string.Join(", ", p.Variables))}  [grey]created {Format.Time(p.CreatedAt)} by {Markup.Escape(p.CreatedBy)}" +
            (p.SourceJobId is { } job ? $" · from job {job}" : "") + "[/]");
        if (p.SystemPrompt is not null) console.Write(new Panel(new Text(p.SystemPrompt)).Header("system prompt").Expand());
        console.Write(new Panel(new Text(p.Template)).Header("template").Expand());
    }

    private static Command Create(CliHost host)
    {
        var name = new Option<string>("--name") { Description = "The prompt's name", Required = true };
        var template = new Option<string?>("--template") { Description = "The template text, with {{variables}}" };
        var templateFile = new Option<FileInfo?>("--template-file") { Description = "Read the template from a file" };
        var system = new Option<string?>("--system") { Description = "The system prompt" };
        var systemFile = new Option<FileInfo?>("--system-file") { Description = "Read the system prompt from a file" };
        var description = new Option<string?>("--description") { Description = "What the prompt is for" };
        var command = new Command("create", "Create a prompt (version 1)") { name, template, templateFile, system, systemFile, description };
        return command.Handle(host, async ctx =>
        {
            var request = new CreatePromptRequest(
                ctx.Get(name),
                await TextAsync(ctx.Get(template), ctx.Get(templateFile), "--template", required: true, ctx.CancellationToken),
                await TextAsync(ctx.Get(system), ctx.Get(systemFile), "--system", required: false, ctx.CancellationToken),
                ctx.Get(description));
            var prompt = await ctx.Client.CreatePromptAsync(request, ctx.CancellationToken);
            if (ctx.Json) ctx.WriteJson(prompt);
            else ctx.Console.MarkupLine($"Created prompt [bold]{prompt.Id}[/] ({Markup.Escape(prompt.Name)} v{prompt.Version}; variables: {Markup.Escape(string.Join(", ", prompt.Variables))})");
            return ExitCodes.Success;
        });
    }

    private static Command AddVersion(CliHost host)
    {
        var id = Id(description: "Any version of the prompt");
        var template = new Option<string?>("--template") { Description = "The new template (default: the previous version's)" };
        var templateFile = new Option<FileInfo?>("--template-file") { Description = "Read the new template from a file" };
        var system = new Option<string?>("--system") { Description = "The new system prompt (default: the previous version's; \"\" removes it)" };
        var systemFile = new Option<FileInfo?>("--system-file") { Description = "Read the new system prompt from a file" };
        var name = new Option<string?>("--name") { Description = "A new name" };
        var description = new Option<string?>("--description") { Description = "A new description" };
        var command = new Command("add-version", "Add a version of a prompt; it becomes the latest") { id, template, templateFile, system, systemFile, name, description };
        return command.Handle(host, async ctx =>
        {
            var newTemplate = await TextAsync(ctx.Get(template), ctx.Get(templateFile), "--template", required: false, ctx.CancellationToken);
            var newSystem = await TextAsync(ctx.Get(system), ctx.Get(systemFile), "--system", required: false, ctx.CancellationToken);
            // The server needs the whole text of a version and drops a system prompt that is not sent: what is not
            // given here is carried over from the latest version (--system "" removes the system prompt).
            var latest = (await ctx.Client.GetPromptVersionsAsync(ctx.Get(id), ctx.CancellationToken)).Single(v => v.IsLatest);
            var request = new AddPromptVersionRequest(newTemplate ?? latest.Template, newSystem ?? latest.SystemPrompt, ctx.Get(name), ctx.Get(description));
            var prompt = await ctx.Client.AddPromptVersionAsync(ctx.Get(id), request, ctx.CancellationToken);
            if (ctx.Json) ctx.WriteJson(prompt);
            else ctx.Console.MarkupLine($"Added version [bold]v{prompt.Version}[/] of {Markup.Escape(prompt.Name)} (id {prompt.Id})");
            return ExitCodes.Success;
        });
    }

    private static Command Versions(CliHost host)
    {
        var id = Id(description: "Any version of the prompt");
        return new Command("versions", "All versions of a prompt, oldest first") { id }.Handle(host, async ctx =>
        {
            var versions = await ctx.Client.GetPromptVersionsAsync(ctx.Get(id), ctx.CancellationToken);
            if (ctx.Json)
            {
                ctx.WriteJson(versions);
                return ExitCodes.Success;
            }
            var table = Format.Table("Version", "Id", "Created", "By", "From job", "Template");
            foreach (var v in versions)
                table.Row($"v{v.Version}{(v.IsLatest ? " (latest)" : "")}", v.Id.ToString(), Format.Time(v.CreatedAt), v.CreatedBy, v.SourceJobId?.ToString() ?? "", Format.Short(v.Template, 50));
            ctx.Console.Write(table);
            return ExitCodes.Success;
        });
    }

    private static Command Diff(CliHost host)
    {
        var from = Id("promptId", "The version to compare");
        var to = new Argument<int?>("otherPromptId") { Description = "The version to compare it with (default: the version before promptId)", Arity = ArgumentArity.ZeroOrOne };
        return new Command("diff", "Line diff of two prompt versions") { from, to }.Handle(host, async ctx =>
        {
            var first = await ctx.Client.GetPromptAsync(ctx.Get(from), ctx.CancellationToken);
            PromptDto before, after;
            if (ctx.Get(to) is { } otherId)
            {
                (before, after) = (first, await ctx.Client.GetPromptAsync(otherId, ctx.CancellationToken));
            }
            else
            {
                var versions = await ctx.Client.GetPromptVersionsAsync(first.Id, ctx.CancellationToken);
                var previous = versions.Where(v => v.Version < first.Version).MaxBy(v => v.Version)
                    ?? throw new CliFailureException($"Prompt {first.Id} is version 1 of '{first.Name}': there is no earlier version to compare with. Name two ids: promptstudio prompts diff <id> <otherId>.");
                (before, after) = (previous, first);
            }

            if (ctx.Json)
            {
                ctx.WriteJson(new
                {
                    from = before,
                    to = after,
                    systemPrompt = PromptDiff.Lines(before.SystemPrompt, after.SystemPrompt),
                    template = PromptDiff.Lines(before.Template, after.Template),
                });
                return ExitCodes.Success;
            }
            ctx.Console.MarkupLine($"[red]--- {Markup.Escape(before.Name)} v{before.Version} (id {before.Id})[/]");
            ctx.Console.MarkupLine($"[green]+++ {Markup.Escape(after.Name)} v{after.Version} (id {after.Id})[/]");
            if (before.SystemPrompt is not null || after.SystemPrompt is not null)
                PromptDiff.Write(ctx.Console, "system prompt", before.SystemPrompt, after.SystemPrompt);
            PromptDiff.Write(ctx.Console, "template", before.Template, after.Template);
            return ExitCodes.Success;
        });
    }

    /// <summary>A text given inline or as a file; both at once is a usage error.</summary>
    private static async Task<string?> TextAsync(string? inline, FileInfo? file, string option, bool required, CancellationToken ct)
    {
        if (inline is not null && file is not null) throw new UsageException($"Give {option} or {option}-file, not both.");
        if (file is not null)
        {
            if (!file.Exists) throw new UsageException($"File not found: {file.FullName}");
            return await File.ReadAllTextAsync(file.FullName, ct);
        }
        if (inline is null && required) throw new UsageException($"{option} or {option}-file is required.");
        return inline;
    }
}
