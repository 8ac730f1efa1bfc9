using PromptStudio.Cli.Tests.Infrastructure;

namespace PromptStudio.Cli.Tests;

/// <summary>Command lines that are wrong never reach a server: they exit 2 and show the usage.</summary>
public sealed class UsageTests : IDisposable
{
    // Nothing listens here: a test that reached the server would fail with exit 1, not 2.
    private readonly CliRunner _cli = new(new Dictionary<string, string> { ["PROMPTSTUDIO_URL"] = "http://127.0.0.1:9" });

    [Theory]
    [InlineData("prompts", "frobnicate")]
    [InlineData("prompts", "optimize", "start", "1")]
    [InlineData("prompts", "optimize", "start", "one", "--dataset", "1")]
    [InlineData("prompts", "optimize", "start", "1", "--dataset", "1", "--tuning", "seed")]
    [InlineData("optimize", "status", "not-a-guid")]
    [InlineData("optimize", "list", "--status", "sleeping")]
    [InlineData("optimize", "pause")]
    [InlineData("datasets", "show", "1", "--limit", "0")]
    [InlineData("--no-such-option")]
    [InlineData]
    public async Task BadArguments_ExitTwo_WithTheErrorAndTheUsage(params string[] args)
    {
        var run = await _cli.RunAsync(args);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("Usage:", run.Error);
        Assert.Equal("", run.Out);
    }

    [Fact]
    public async Task AMissingDatasetOption_IsNamedInTheError()
    {
        var run = await _cli.RunAsync("prompts", "optimize", "start", "1", "--dry-run");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--dataset", run.Error);
    }

    [Fact]
    public async Task AnImportOfAFileThatDoesNotExist_ExitsTwo()
    {
        var run = await _cli.RunAsync("datasets", "import", "/no/such/file.csv");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("File not found", run.Error);
    }

    [Fact]
    public async Task AnImportOfAFileOfUnknownFormat_ExitsTwo_AndNamesTheFormats()
    {
        var path = Path.Combine(_cli.ConfigDirectory + "-data.txt");
        await File.WriteAllTextAsync(path, "hello");
        try
        {
            var run = await _cli.RunAsync("datasets", "import", path);

            Assert.Equal(2, run.ExitCode);
            Assert.Contains(".json, .jsonl or .csv", run.Error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Help_ExitsZero_AndListsTheCommands()
    {
        var run = await _cli.RunAsync("--help");

        Assert.Equal(0, run.ExitCode);
        foreach (var command in new[] { "config", "whoami", "prompts", "datasets", "optimize" }) Assert.Contains(command, run.Out);
    }

    public void Dispose() => _cli.Dispose();
}
