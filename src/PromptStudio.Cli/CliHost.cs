using Spectre.Console;

namespace PromptStudio.Cli;

/// <summary>
/// What a run of the CLI talks to: its output streams, its environment and, for tests, the HTTP handler.
/// The process gets the real console; tests pass writers they read afterwards.
/// </summary>
public sealed record CliHost
{
    /// <summary>Standard output: human output through <see cref="Console"/>, and raw JSON or exported data.</summary>
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    /// <summary>Human output on <see cref="Out"/>.</summary>
    public required IAnsiConsole Console { get; init; }

    /// <summary>Human error output on <see cref="Error"/>.</summary>
    public required IAnsiConsole ErrorConsole { get; init; }

    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Replaces the HTTP handler of every request the run makes (tests stub the server with it).</summary>
    public Func<HttpMessageHandler>? HttpMessageHandlerFactory { get; init; }

    public static CliHost FromProcess()
    {
        var console = AnsiConsole.Console;
        var errorConsole = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) });
        // Piped output has no width to fit; Spectre would assume 80 columns and wrap ids and tables needlessly.
        if (System.Console.IsOutputRedirected) console.Profile.Width = PipeWidth;
        if (System.Console.IsErrorRedirected) errorConsole.Profile.Width = PipeWidth;
        return new CliHost { Out = System.Console.Out, Error = System.Console.Error, Console = console, ErrorConsole = errorConsole };
    }

    private const int PipeWidth = 200;

    /// <summary>A host writing plain text (no colours, no live display) to the given writers.</summary>
    public static CliHost ForWriters(TextWriter output, TextWriter error, Func<string, string?> environment, int width = 200) => new()
    {
        Out = output,
        Error = error,
        Console = Plain(output, width),
        ErrorConsole = Plain(error, width),
        GetEnvironmentVariable = environment,
    };

    private static IAnsiConsole Plain(TextWriter writer, int width)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        return console;
    }
}
