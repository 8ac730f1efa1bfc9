using System.CommandLine;
using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using PromptStudio.Cli.Config;
using PromptStudio.Client;
using Spectre.Console;

namespace PromptStudio.Cli;

/// <summary>One command's run: its parsed values, the server client, the output, and the one place errors are reported.</summary>
public sealed class CommandContext : IDisposable
{
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonSerializerOptions Compact = new(Indented) { WriteIndented = false };

    private readonly ParseResult _parse;
    private PromptStudioClient? _client;

    private CommandContext(CliHost host, ParseResult parse, CancellationToken cancellationToken)
    {
        Host = host;
        _parse = parse;
        CancellationToken = cancellationToken;
        Settings = new CliSettings(host.GetEnvironmentVariable);
    }

    public CliHost Host { get; }

    public CancellationToken CancellationToken { get; }

    public CliSettings Settings { get; }

    public bool Json => _parse.GetValue(PromptStudioCli.JsonOption);

    public IAnsiConsole Console => Host.Console;

    /// <summary>The client for the configured server, made on first use.</summary>
    public PromptStudioClient Client => _client ??= new PromptStudioClient(new PromptStudioClientOptions
    {
        BaseUrl = CliSettings.ParseUrl(Settings.Url.Value!),
        ApiKey = Settings.ApiKey.Value,
        HttpMessageHandlerFactory = Host.HttpMessageHandlerFactory,
    });

    public T Get<T>(Option<T> option) => _parse.GetValue(option)!;

    public T Get<T>(Argument<T> argument) => _parse.GetValue(argument)!;

    /// <summary>One indented JSON document on stdout.</summary>
    public void WriteJson<T>(T value) => Host.Out.WriteLine(JsonSerializer.Serialize(value, Indented));

    /// <summary>One JSON document on one line (JSON lines, for streams).</summary>
    public void WriteJsonLine<T>(T value)
    {
        Host.Out.WriteLine(JsonSerializer.Serialize(value, Compact));
        Host.Out.Flush();
    }

    /// <summary>A list: JSON, or a table (or, when empty, <paramref name="emptyMarkup"/>).</summary>
    public int WriteList<T>(IReadOnlyList<T> rows, string emptyMarkup, string[] columns, Func<T, string[]> cells)
    {
        if (Json)
        {
            WriteJson(rows);
            return ExitCodes.Success;
        }
        if (rows.Count == 0)
        {
            Console.MarkupLine(emptyMarkup);
            return ExitCodes.Success;
        }
        var table = Output.Format.Table(columns);
        foreach (var row in rows) table.AddRow(cells(row).Select(c => (Spectre.Console.Rendering.IRenderable)new Markup(c)).ToArray());
        Console.Write(table);
        return ExitCodes.Success;
    }

    public static async Task<int> RunAsync(CliHost host, ParseResult parse, Func<CommandContext, Task<int>> action, CancellationToken cancellationToken)
    {
        using var context = new CommandContext(host, parse, cancellationToken);
        try
        {
            return await action(context);
        }
        catch (Exception e)
        {
            return context.Report(e);
        }
    }

    /// <summary>Prints what went wrong in the server's or the CLI's own words (never a stack trace) and picks the exit code.</summary>
    private int Report(Exception exception)
    {
        var (code, message, details) = exception switch
        {
            OperationCanceledException when CancellationToken.IsCancellationRequested => (ExitCodes.Interrupted, "Interrupted.", null),
            PromptStudioApiException api => (ExitCodes.Failure, api.Message, ApiDetails(api)),
            UsageException usage => (ExitCodes.Usage, usage.Message, (IReadOnlyList<string>?)["Run with --help for usage."]),
            CliFailureException failure => (failure.ExitCode, failure.Message, null),
            HttpRequestException http => (ExitCodes.Failure, $"Cannot reach PromptStudio at {Settings.Url.Value}: {http.Message}", null),
            TaskCanceledException or TimeoutException => (ExitCodes.Failure, $"PromptStudio at {Settings.Url.Value} did not answer in time.", null),
            HubException hub => (ExitCodes.Failure, hub.Message, null),
            IOException or UnauthorizedAccessException => (ExitCodes.Failure, exception.Message, null),
            _ => (ExitCodes.Failure, $"Unexpected error: {exception.GetType().Name}: {exception.Message}", null),
        };

        if (Json)
        {
            var api = exception as PromptStudioApiException;
            Host.Error.WriteLine(JsonSerializer.Serialize(new
            {
                error = new
                {
                    message,
                    status = api is null ? (int?)null : (int)api.StatusCode,
                    title = api?.Title,
                    errors = api?.Errors.Count > 0 ? api.Errors : null,
                    currentState = api?.CurrentState,
                    allowedActions = api?.CurrentState is null ? null : api.AllowedActions,
                },
            }, Indented));
        }
        else
        {
            Host.ErrorConsole.MarkupLine($"[red]Error:[/] {Markup.Escape(message)}");
            foreach (var line in details ?? []) Host.ErrorConsole.MarkupLine($"  {Markup.Escape(line)}");
        }
        return code;
    }

    private static List<string> ApiDetails(PromptStudioApiException api)
    {
        var lines = api.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")).ToList();
        if (api.CurrentState is not null)
            lines.Add($"The job is {api.CurrentState}; allowed actions: {(api.AllowedActions.Count == 0 ? "none" : string.Join(", ", api.AllowedActions))}.");
        if (api.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            lines.Add("Check the API key: promptstudio config set api-key <key> (or PROMPTSTUDIO_API_KEY).");
        return lines;
    }

    public void Dispose() => _client?.Dispose();
}

public static class CommandExtensions
{
    /// <summary>Runs <paramref name="action"/> for this command, with errors reported and mapped to exit codes.</summary>
    public static Command Handle(this Command command, CliHost host, Func<CommandContext, Task<int>> action)
    {
        command.SetAction((parse, ct) => CommandContext.RunAsync(host, parse, action, ct));
        return command;
    }
}
