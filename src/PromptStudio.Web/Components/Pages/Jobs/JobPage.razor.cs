using Microsoft.AspNetCore.Components;
using MudBlazor;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Api;
using PromptStudio.Web.Components.Shared;
using PromptStudio.Web.Datasets;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Prompts;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Components.Pages.Jobs;

/// <summary>An event of the job, or a new snapshot of it.</summary>
internal readonly record struct JobUpdate(JobEventDto? Event, JobDto? Job);

/// <summary>
/// The live job page. It subscribes first and buffers, then loads the snapshot (the job, all its stored
/// events, its results), then applies what the feed brings in throttled batches; ids the snapshot already
/// holds are skipped, and a jump in ids is filled from the event store.
/// </summary>
public sealed partial class JobPage : IAsyncDisposable
{
    private const int EventPage = 5000;
    private const string BestSoFar = "Best so far";
    private static readonly string[] ReferenceLines = ["Baseline", "Target"];
    private static readonly TimeSpan ResultsInterval = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _disposed = new();
    private readonly List<IDisposable> _subscriptions = [];
    private ThrottledFeed<JobUpdate>? _feed;
    private ThrottledFeed<bool>? _resultsFeed;
    private JobLiveModel? _model;
    private PromptDto? _original;
    private DatasetDto? _dataset;
    private JobResultsDto? _results;
    private string? _loadError;
    private string? _busyAction;

    [Inject] private JobService Jobs { get; set; } = default!;
    [Inject] private PromptService Prompts { get; set; } = default!;
    [Inject] private DatasetService Datasets { get; set; } = default!;
    [Inject] private JobEventBus Bus { get; set; } = default!;
    [Inject] private WorkspaceContext Workspace { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private ILogger<JobPage> Logger { get; set; } = default!;

    [Parameter] public Guid Id { get; set; }

    protected override async Task OnParametersSetAsync()
    {
        if (_model?.Job.Id == Id) return;
        await StopLiveAsync();
        _model = null;
        _loadError = null;
        var ct = _disposed.Token;

        if (RendererInfo.IsInteractive)
        {
            // Subscribe before reading the snapshot: whatever is published meanwhile waits in the feed, and the
            // model skips the part the snapshot already has. Prerendering gets the snapshot only.
            var jobId = Id;
            var feed = _feed = new ThrottledFeed<JobUpdate>(ApplyBatchAsync, Logger);
            // The iteration table is a heavier read than the events: its own feed re-reads it at most once a second.
            _resultsFeed = new ThrottledFeed<bool>(RefreshResultsAsync, Logger, ResultsInterval);
            _subscriptions.Add(Bus.SubscribeJob(jobId, e => feed.Post(new JobUpdate(e, null))));
            _subscriptions.Add(Bus.SubscribeWorkspace(Workspace.WorkspaceId, j =>
            {
                if (j.Id == jobId) feed.Post(new JobUpdate(null, j));
            }));
        }

        try
        {
            var job = await Jobs.GetAsync(Workspace.WorkspaceId, Id, ct);
            var model = new JobLiveModel(job);
            foreach (var e in await ReadEventsAfterAsync(0, ct)) model.Apply(e);
            _original = await Prompts.GetAsync(Workspace.WorkspaceId, job.PromptId, ct);
            _dataset = await Datasets.GetAsync(Workspace.WorkspaceId, job.DatasetId, ct);
            _results = await Jobs.GetResultsAsync(Workspace.WorkspaceId, Id, includeItems: false, ct);
            _model = model;
        }
        catch (NotFoundException e)
        {
            _loadError = e.Message;
            await StopLiveAsync();
            return;
        }
        _feed?.Start();
        _resultsFeed?.Start();
    }

    private async Task<List<JobEventDto>> ReadEventsAfterAsync(long afterEventId, CancellationToken ct)
    {
        var events = new List<JobEventDto>();
        while (true)
        {
            var page = await Jobs.GetEventsAsync(Workspace.WorkspaceId, Id, afterEventId, EventPage, ct);
            events.AddRange(page);
            if (page.Count < EventPage) return events;
            afterEventId = page[^1].Id;
        }
    }

    /// <summary>Runs on the feed's loop, never on the renderer; only this loop changes the model once it is live.</summary>
    private async Task ApplyBatchAsync(IReadOnlyList<JobUpdate> batch, CancellationToken ct)
    {
        var model = _model!;
        var events = batch.Select(u => u.Event).OfType<JobEventDto>().OrderBy(e => e.Id).ToList();
        var snapshot = batch.Select(u => u.Job).LastOrDefault(j => j is not null);
        var last = model.LastEventId;
        var firstNew = events.FirstOrDefault(e => e.Id > last);
        var newest = Math.Max(events.Count > 0 ? events[^1].Id : 0, snapshot?.LastEventId ?? 0);
        if (firstNew is not null ? model.IsGap(firstNew) : newest > last)
        {
            // Something was missed (a subscriber is only told what is published after it subscribed): every
            // published event is already stored, so the store fills the gap.
            events = [.. (await ReadEventsAfterAsync(last, ct)).Concat(events).OrderBy(e => e.Id)];
        }

        var resultsChanged = false;
        await InvokeAsync(() =>
        {
            foreach (var e in events)
            {
                if (model.Apply(e) && ChangesResults(e.Type)) resultsChanged = true;
            }
            if (snapshot is not null) model.Apply(snapshot);
            StateHasChanged();
        });

        if (resultsChanged) _resultsFeed?.Post(true);
    }

    private static bool ChangesResults(string type) => type is JobEventTypes.MutationGenerated or JobEventTypes.EvaluationComplete
        or JobEventTypes.IterationComplete or JobEventTypes.JobComplete or JobEventTypes.JobFailed or JobEventTypes.JobCancelled or JobEventTypes.JobPaused;

    private async Task RefreshResultsAsync(IReadOnlyList<bool> _, CancellationToken ct)
    {
        var results = await Jobs.GetResultsAsync(Workspace.WorkspaceId, Id, includeItems: false, ct);
        await InvokeAsync(() =>
        {
            _results = results;
            StateHasChanged();
        });
    }

    private bool CanControl => Workspace.Can(Permission.Write);

    private bool CanAct(string action) =>
        RendererInfo.IsInteractive && CanControl && _busyAction is null && _model?.Job.AllowedActions.Contains(action) == true;

    private Task PauseAsync() => ControlAsync("pause", ct => Jobs.PauseAsync(Workspace, Id, ct));

    private Task ResumeAsync() => ControlAsync("resume", ct => Jobs.ResumeAsync(Workspace, Id, ct));

    private async Task CancelAsync()
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            "Cancel this job?",
            "Cancelling stops the job for good. The best prompt found so far stays visible here, but no new prompt version is saved.",
            yesText: "Cancel job", cancelText: "Keep it");
        if (confirmed == true) await ControlAsync("cancel", ct => Jobs.CancelAsync(Workspace, Id, ct));
    }

    private async Task ControlAsync(string action, Func<CancellationToken, Task<JobDto>> call)
    {
        _busyAction = action;
        try
        {
            _model?.Apply(await call(_disposed.Token));
        }
        catch (InvalidJobTransitionException e)
        {
            // Another user or the job itself got there first; the feed brings the state that won.
            Snackbar.Add(e.Message, Severity.Warning);
        }
        catch (NotFoundException e)
        {
            Snackbar.Add(e.Message, Severity.Error);
        }
        finally
        {
            _busyAction = null;
        }
    }

    private static string ProgressText(JobDto job) => job.Status switch
    {
        "queued" => "Waiting to start.",
        _ => $"{Math.Min(job.CurrentIteration, job.MaxIterations)} of {job.MaxIterations} iterations ({job.Progress} %)",
    };

    private string? BestTemplate(JobDto job) => job.BestPrompt ?? _original?.Template;

    private string? BestSystemPrompt(JobDto job) => job.BestPrompt is null ? _original?.SystemPrompt : job.BestSystemPrompt;

    private IReadOnlyList<(string Name, double?[] Values)> ChartSeries()
    {
        var job = _model!.Job;
        var points = _model.Points;
        var length = points.Count == 0 ? 0 : points.Max(p => p.Iteration) + 1;
        var best = new double?[length];
        var candidates = new double?[length];
        foreach (var p in points)
        {
            best[p.Iteration] = p.BestSoFar;
            candidates[p.Iteration] = p.IterationBest;
        }
        // Later series are drawn on top: the best-so-far line must not hide under the candidates' line it often equals.
        var series = new List<(string, double?[])>();
        if (job.BaselineScore is { } baseline) series.Add(("Baseline", Enumerable.Repeat<double?>(baseline, length).ToArray()));
        if (job.Config.TargetScore is { } target) series.Add(("Target", Enumerable.Repeat<double?>(target, length).ToArray()));
        series.Add(("Iteration's best candidate", candidates));
        series.Add((BestSoFar, best));
        return series;
    }

    private string ChartCaption()
    {
        var job = _model!.Job;
        var iterations = _model.CompletedPoints - 1;
        return iterations < 0
            ? "The baseline is not scored yet."
            : $"Iteration 0 is the baseline ({Formats.Score(job.BaselineScore)}); {iterations} iteration{(iterations == 1 ? "" : "s")} scored since, best {Formats.Score(job.BestScore)}"
              + (job.Config.TargetScore is { } t ? $", target {Formats.Score(t)}." : ".");
    }

    private async Task StopLiveAsync()
    {
        foreach (var s in _subscriptions) s.Dispose();
        _subscriptions.Clear();
        if (_feed is not null) await _feed.DisposeAsync();
        if (_resultsFeed is not null) await _resultsFeed.DisposeAsync();
        _feed = null;
        _resultsFeed = null;
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        await StopLiveAsync();
        _disposed.Dispose();
    }
}
