using System.CommandLine;
using PromptStudio.Cli.Config;
using PromptStudio.Cli.Datasets;
using PromptStudio.Cli.Optimization;
using PromptStudio.Cli.Prompts;

namespace PromptStudio.Cli;

/// <summary>The <c>promptstudio</c> command tree and its one entry point, used by Program and by tests alike.</summary>
public static class PromptStudioCli
{
    /// <summary>On every command: print JSON for scripts instead of human output.</summary>
    public static readonly Option<bool> JsonOption = new("--json")
    {
        Description = "Print JSON (one document; JSON lines for watch) instead of human output",
        Recursive = true,
    };

    /// <summary>Parses and runs one command line; returns the exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(string[] args, CliHost host, CancellationToken cancellationToken = default)
    {
        var root = BuildRootCommand(host);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // The errors and the usage of the command that was meant, both on stderr.
            await parse.InvokeAsync(new InvocationConfiguration { Output = host.Error, Error = host.Error }, cancellationToken);
            return ExitCodes.Usage;
        }
        return await parse.InvokeAsync(new InvocationConfiguration { Output = host.Out, Error = host.Error, EnableDefaultExceptionHandler = false }, cancellationToken);
    }

    public static RootCommand BuildRootCommand(CliHost host)
    {
        var root = new RootCommand("PromptStudio from the command line: prompts, datasets and optimization jobs.")
        {
            ConfigCommands.Build(host),
            ConfigCommands.BuildWhoami(host),
            PromptCommands.Build(host),
            DatasetCommands.Build(host),
            OptimizeCommands.Build(host),
        };
        root.Options.Add(JsonOption);
        return root;
    }
}
