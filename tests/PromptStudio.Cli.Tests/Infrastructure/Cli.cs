using System.Text.Json;
using PromptStudio.Client;

namespace PromptStudio.Cli.Tests.Infrastructure;

/// <summary>What one CLI run printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    public string All => Out + Error;

    public T Json<T>() => JsonSerializer.Deserialize<T>(Out, PromptStudioClient.Json)
        ?? throw new InvalidOperationException($"stdout is not a {typeof(T).Name}: {Out}");

    /// <summary>The <c>error</c> object that --json runs print on stderr when they fail.</summary>
    public JsonElement JsonError()
    {
        using var document = JsonDocument.Parse(Error);
        return document.RootElement.GetProperty("error").Clone();
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>Runs <c>promptstudio</c> in this process, through the same entry point as the tool, with captured output.</summary>
public sealed class CliRunner : IDisposable
{
    private readonly Dictionary<string, string> _environment;

    public CliRunner(Dictionary<string, string>? environment = null)
    {
        ConfigDirectory = Path.Combine(Path.GetTempPath(), $"promptstudio-cli-config-{Guid.NewGuid():N}");
        _environment = environment ?? [];
        _environment["PROMPTSTUDIO_CONFIG_DIR"] = ConfigDirectory;
    }

    public CliRunner(LiveServer server)
        : this(server.CliEnvironment())
    {
    }

    public string ConfigDirectory { get; }

    /// <summary>Variables of the run's environment; nothing leaks in from the test process's own.</summary>
    public IDictionary<string, string> Environment => _environment;

    public Func<HttpMessageHandler>? HttpMessageHandlerFactory { get; init; }

    public Task<CliRun> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    public async Task<CliRun> RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var host = CliHost.ForWriters(TextWriter.Synchronized(output), TextWriter.Synchronized(error), name => _environment.GetValueOrDefault(name))
            with { HttpMessageHandlerFactory = HttpMessageHandlerFactory };
        var code = await PromptStudioCli.RunAsync(args, host, cancellationToken);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    public void Dispose()
    {
        try { Directory.Delete(ConfigDirectory, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}

public static class Eventually
{
    /// <summary>Waits for a condition, checking every 25 ms; never a fixed sleep standing in for the condition.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Condition not met within {timeout.TotalSeconds:0}s: {describe?.Invoke()}");
            await Task.Delay(25);
        }
    }

    public static async Task<JobDto> JobAsync(PromptStudioClient client, Guid id, Func<JobDto, bool> condition, int timeoutSeconds = 60)
    {
        var job = await client.GetJobAsync(id);
        await TrueAsync(async () => condition(job = await client.GetJobAsync(id)), TimeSpan.FromSeconds(timeoutSeconds),
            () => $"job {id} is {job.Status} at iteration {job.CurrentIteration} (error: {job.Error})");
        return job;
    }
}

public static class Jobs
{
    /// <summary>A dryRun config; latency slows the simulated model down so a test can act while the job runs.</summary>
    public static OptimizationConfigDto DryRun(int maxIterations = 3, int latencyMs = 0, int seed = 7) =>
        new(maxIterations, null, null, null, true, new Dictionary<string, JsonElement>
        {
            ["seed"] = JsonSerializer.SerializeToElement(seed),
            ["simulatedLatencyMs"] = JsonSerializer.SerializeToElement(latencyMs),
        });

    public static Task<JobDto> StartAsync(this PromptStudioClient client, OptimizationConfigDto config) =>
        client.StartOptimizationAsync(new StartOptimizationRequest(1, 1, config));
}
