using PromptStudio.Cli.Tests.Infrastructure;
using PromptStudio.Client;

namespace PromptStudio.Cli.Tests.Optimization;

public sealed class OptimizeCommandTests(LiveServer server) : IClassFixture<LiveServer>, IDisposable
{
    private readonly CliRunner _cli = new(server);
    private readonly PromptStudioClient _client = server.Client();

    [Fact]
    public async Task StartWithDryRunAndWatch_RunsTheJobToCompletion_PrintsProgress_AndExitsZero()
    {
        var run = await _cli.RunAsync("prompts", "optimize", "start", "1", "--dataset", "1", "--dry-run", "--max-iterations", "3",
            "--tuning", "simulatedLatencyMs=0", "--watch");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Started job", run.Out);
        Assert.Contains("baseline", run.Out);
        foreach (var iteration in new[] { "iteration   1/3", "iteration   2/3", "iteration   3/3" }) Assert.Contains(iteration, run.Out);
        Assert.Contains("[100%]", run.Out);
        Assert.Contains("current", run.Out);
        Assert.Contains("best", run.Out);
        Assert.Contains("● running", run.Out);
        Assert.Contains("● completed", run.Out);
        Assert.Equal("", run.Error);
    }

    [Fact]
    public async Task ResultsAsJson_ParsesAndCarriesTheResultPromptId()
    {
        var started = await _cli.RunAsync("prompts", "optimize", "start", "1", "--dataset", "1", "--dry-run", "--max-iterations", "3",
            "--tuning", "simulatedLatencyMs=0", "seed=11", "--json");
        Assert.True(started.ExitCode == 0, started.ToString());
        var job = started.Json<JobDto>();
        Assert.Equal(11, job.Config.TuningParams!["seed"].GetInt32());
        var done = await Eventually.JobAsync(_client, job.Id, j => j.IsTerminal());
        Assert.Equal("completed", done.Status);

        var run = await _cli.RunAsync("optimize", "results", job.Id.ToString(), "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var results = run.Json<JobResultsDto>();
        Assert.Equal(job.Id, results.JobId);
        Assert.NotNull(results.ResultPromptId);
        Assert.Equal(done.ResultPromptId, results.ResultPromptId);
        var saved = await _client.GetPromptAsync(results.ResultPromptId.Value);
        Assert.Equal(job.Id, saved.SourceJobId);
        Assert.Equal(results.BestPrompt, saved.Template);
    }

    [Fact]
    public async Task ResultsWithDiff_ShowTheBestPromptAgainstTheOriginal()
    {
        var job = await _client.StartAsync(Jobs.DryRun(maxIterations: 3));
        await Eventually.JobAsync(_client, job.Id, j => j.IsTerminal());

        var run = await _cli.RunAsync("optimize", "results", job.Id.ToString(), "--diff");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("baseline", run.Out);
        Assert.Contains("template (original → best)", run.Out);
        Assert.Contains("+ ", run.Out);
    }

    [Fact]
    public async Task PauseResumeAndCancel_FromTheCli_MoveTheJobThroughItsStates()
    {
        var job = await _client.StartAsync(Jobs.DryRun(maxIterations: 60, latencyMs: 10));
        await Eventually.JobAsync(_client, job.Id, j => j.Status == "running");
        var id = job.Id.ToString();

        var paused = await _cli.RunAsync("optimize", "pause", id);
        Assert.True(paused.ExitCode == 0, paused.ToString());
        Assert.Contains("is paused", paused.Out);
        Assert.Contains("allowed actions: resume, cancel", paused.Out);
        Assert.Equal("paused", (await _client.GetJobAsync(job.Id)).Status);

        var resumed = await _cli.RunAsync("optimize", "resume", id, "--json");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains(resumed.Json<JobDto>().Status, new[] { "queued", "running" });

        var cancelled = await _cli.RunAsync("optimize", "cancel", id);
        Assert.True(cancelled.ExitCode == 0, cancelled.ToString());
        Assert.Contains("is cancelled", cancelled.Out);
        Assert.Equal("cancelled", (await _client.GetJobAsync(job.Id)).Status);
    }

    [Fact]
    public async Task ARefusedTransition_PrintsTheServersMessageAndTheAllowedActions_AndExitsOne()
    {
        var job = await _client.StartAsync(Jobs.DryRun(maxIterations: 2));
        await Eventually.JobAsync(_client, job.Id, j => j.Status == "completed");

        var run = await _cli.RunAsync("optimize", "pause", job.Id.ToString());

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Cannot pause a job that is completed", run.Error);
        Assert.Contains("The job is completed; allowed actions: none.", run.Error);
        Assert.DoesNotContain("   at ", run.All);
    }

    [Fact]
    public async Task ARefusedTransition_InJsonMode_CarriesTheCurrentStateAndAllowedActions()
    {
        var job = await _client.StartAsync(Jobs.DryRun(maxIterations: 60, latencyMs: 10));
        await Eventually.JobAsync(_client, job.Id, j => j.Status == "running");

        var run = await _cli.RunAsync("optimize", "resume", job.Id.ToString(), "--json");

        Assert.Equal(1, run.ExitCode);
        var problem = run.JsonError();
        Assert.Equal(409, problem.GetProperty("status").GetInt32());
        Assert.Equal("running", problem.GetProperty("currentState").GetString());
        Assert.Equal(["pause", "cancel"], problem.GetProperty("allowedActions").EnumerateArray().Select(a => a.GetString()));
        await _client.CancelJobAsync(job.Id);
    }

    [Fact]
    public async Task WatchOfACancelledJob_ShowsTheCancellation_AndExitsOne()
    {
        var job = await _client.StartAsync(Jobs.DryRun(maxIterations: 60, latencyMs: 10));
        await Eventually.JobAsync(_client, job.Id, j => j.Status == "running");
        await _client.CancelJobAsync(job.Id);

        var run = await _cli.RunAsync("optimize", "watch", job.Id.ToString());

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("● cancelled", run.Out);
    }

    [Fact]
    public async Task WatchAsJson_PrintsEveryEventAsOneJsonLine_EndingWithTheTerminalEvent()
    {
        var job = await _client.StartAsync(Jobs.DryRun(maxIterations: 2));
        await Eventually.JobAsync(_client, job.Id, j => j.IsTerminal());

        var run = await _cli.RunAsync("optimize", "watch", job.Id.ToString(), "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var events = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => System.Text.Json.JsonSerializer.Deserialize<JobEventDto>(line, PromptStudioClient.Json)!).ToList();
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Id));
        Assert.Equal("job_complete", events[^1].Type);
    }

    [Fact]
    public async Task CtrlCDuringWatch_StopsWatching_AndTheJobKeepsRunning()
    {
        var job = await _client.StartAsync(Jobs.DryRun(maxIterations: 60, latencyMs: 10));
        using var ctrlC = new CancellationTokenSource();
        var watching = _cli.RunAsync(ctrlC.Token, "optimize", "watch", job.Id.ToString());
        await Eventually.JobAsync(_client, job.Id, j => j.CurrentIteration >= 2);
        await ctrlC.CancelAsync();

        var run = await watching;

        Assert.Equal(ExitCodes.Interrupted, run.ExitCode);
        Assert.Contains("Stopped watching", run.Out);
        Assert.Equal("running", (await _client.GetJobAsync(job.Id)).Status);
        await _client.CancelJobAsync(job.Id);
    }

    [Fact]
    public async Task StatusAndList_DescribeTheJob()
    {
        var job = await _client.StartAsync(Jobs.DryRun(maxIterations: 2));
        await Eventually.JobAsync(_client, job.Id, j => j.IsTerminal());

        var status = await _cli.RunAsync("optimize", "status", job.Id.ToString());
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("completed", status.Out);
        Assert.Contains("baseline", status.Out);

        var list = await _cli.RunAsync("optimize", "list", "--status", "completed", "--limit", "100", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(list.Json<List<JobDto>>(), j => j.Id == job.Id);
    }

    [Fact]
    public async Task AStartTheServerRejects_PrintsTheFieldErrors_AndExitsOne()
    {
        var run = await _cli.RunAsync("prompts", "optimize", "start", "1", "--dataset", "999", "--max-iterations", "500", "--dry-run");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("config.maxIterations", run.Error);
        Assert.Contains("datasetId: Dataset 999 was not found.", run.Error);
    }

    public void Dispose()
    {
        _cli.Dispose();
        _client.Dispose();
    }
}
