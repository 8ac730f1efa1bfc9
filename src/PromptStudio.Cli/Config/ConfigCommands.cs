using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace PromptStudio.Cli.Config;

public static class ConfigCommands
{
    public static Command Build(CliHost host)
    {
        var urlValue = new Argument<string>("url") { Description = "The server's root URL, e.g. http://localhost:5000" };
        var setUrl = new Command("url", "Set the server URL") { urlValue }.Handle(host, ctx =>
        {
            var url = CliSettings.ParseUrl(ctx.Get(urlValue));
            var file = ctx.Settings.Load();
            ctx.Settings.Save(file with { Url = url.AbsoluteUri.TrimEnd('/') });
            return Done(ctx, "url", url.AbsoluteUri.TrimEnd('/'));
        });

        var keyValue = new Argument<string>("key") { Description = "A workspace API key" };
        var setKey = new Command("api-key", "Set the API key") { keyValue }.Handle(host, ctx =>
        {
            var key = ctx.Get(keyValue).Trim();
            if (key.Length == 0) throw new UsageException("The API key is empty.");
            ctx.Settings.Save(ctx.Settings.Load() with { ApiKey = key });
            return Done(ctx, "apiKey", CliSettings.Mask(key));
        });

        var show = new Command("show", "Show the effective settings and where each comes from").Handle(host, ctx =>
        {
            var url = ctx.Settings.Url;
            var key = ctx.Settings.ApiKey;
            var masked = key.Value is null ? null : CliSettings.Mask(key.Value);
            if (ctx.Json)
            {
                ctx.WriteJson(new { url = url.Value, urlSource = url.Source, apiKey = masked, apiKeySource = key.Source, configFile = ctx.Settings.ConfigPath });
                return Task.FromResult(ExitCodes.Success);
            }
            var grid = new Grid().AddColumn().AddColumn().AddColumn();
            grid.AddRow(new Text("url"), new Text(url.Value ?? ""), new Markup($"[grey]{Markup.Escape(url.Source)}[/]"));
            grid.AddRow(new Text("api-key"), new Text(masked ?? "(none)"), new Markup($"[grey]{Markup.Escape(key.Source)}[/]"));
            grid.AddRow(new Text("config file"), new Text(ctx.Settings.ConfigPath), new Text(""));
            ctx.Console.Write(grid);
            return Task.FromResult(ExitCodes.Success);
        });

        return new Command("config", "Where the server is and which API key to use")
        {
            new Command("set", "Store a setting in the config file") { setUrl, setKey },
            show,
        };
    }

    private static Task<int> Done(CommandContext ctx, string name, string shown)
    {
        if (ctx.Json) ctx.WriteJson(new Dictionary<string, string> { [name] = shown, ["configFile"] = ctx.Settings.ConfigPath });
        else ctx.Console.MarkupLine($"Saved {name} [bold]{Markup.Escape(shown)}[/] to {Markup.Escape(ctx.Settings.ConfigPath)}");
        return Task.FromResult(ExitCodes.Success);
    }

    public static Command BuildWhoami(CliHost host) =>
        new Command("whoami", "Show the server, whether an API key is set, and who it belongs to; checks that the server answers").Handle(host, async ctx =>
        {
            var url = ctx.Settings.Url.Value!;
            var key = ctx.Settings.ApiKey.Value;
            var identity = await ctx.Client.GetIdentityAsync(ctx.CancellationToken);
            // A server without accounts has no identity to show: a request that needs the key proves the connection.
            var prompts = identity is null ? await ctx.Client.ListPromptsAsync(ctx.CancellationToken) : null;

            if (ctx.Json)
            {
                ctx.WriteJson(new { url, apiKey = key is null ? null : CliSettings.Mask(key), connected = true, identity, prompts = prompts?.Count });
                return ExitCodes.Success;
            }
            var grid = new Grid().AddColumn().AddColumn();
            grid.AddRow(new Text("server"), new Markup($"{Markup.Escape(url)} [green]reachable[/]"));
            grid.AddRow(new Text("api key"), new Text(key is null ? "(none)" : CliSettings.Mask(key)));
            if (identity is { } who)
            {
                foreach (var (name, value) in Describe(who)) grid.AddRow(new Text(name), new Text(value));
            }
            else
            {
                grid.AddRow(new Text("workspace"), new Text($"the server's only one ({prompts!.Count} prompt{(prompts.Count == 1 ? "" : "s")}); this server has no accounts"));
            }
            ctx.Console.Write(grid);
            return ExitCodes.Success;
        });

    /// <summary>The identity's scalar fields, and those of its nested objects (e.g. workspace.name), as rows.</summary>
    private static IEnumerable<(string Name, string Value)> Describe(JsonElement element, string prefix = "")
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in element.EnumerateArray())
                foreach (var row in Describe(item, $"{prefix}[{i++}]")) yield return row;
            yield break;
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            yield return (prefix, element.ToString());
            yield break;
        }
        foreach (var property in element.EnumerateObject())
        {
            var name = prefix.Length == 0 ? property.Name : $"{prefix}.{property.Name}";
            foreach (var row in Describe(property.Value, name)) yield return row;
        }
    }
}
