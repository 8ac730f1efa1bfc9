namespace PromptStudio.Cli;

// A named class rather than top-level statements: a global Program would clash with the web app's in tests that host both.
internal static class Program
{
    public static Task<int> Main(string[] args) => PromptStudioCli.RunAsync(args, CliHost.FromProcess());
}
