using Microsoft.AspNetCore.Components;
using PromptStudio.Client;
using PromptStudio.Web.Components.Shared;
using PromptStudio.Web.Datasets;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Prompts;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Components.Pages.Jobs;

/// <summary>The jobs overview: a snapshot of the newest jobs, then every job snapshot the workers publish.</summary>
public sealed partial class JobsPage : IAsyncDisposable
{
    private const string AllStates = "all";
    private const int Limit = 100;
    private static readonly TimeSpan AgeRefresh = TimeSpan.FromSeconds(15);

    private readonly HashSet<Guid> _selected = [];
    private readonly CancellationTokenSource _disposed = new();
    private IDisposable? _subscription;
    private ThrottledFeed<JobDto>? _feed;
    private ITimer? _ageTimer;
    private List<JobDto>? _jobs;
    private Dictionary<int, PromptDto> _prompts = [];
    private Dictionary<int, string> _datasets = [];
    private string _filter = AllStates;

    [Inject] private JobService Jobs { get; set; } = default!;
    [Inject] private PromptService Prompts { get; set; } = default!;
    [Inject] private DatasetService Datasets { get; set; } = default!;
    [Inject] private JobEventBus Bus { get; set; } = default!;
    [Inject] private WorkspaceContext Workspace { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;
    [Inject] private ILogger<JobsPage> Logger { get; set; } = default!;

    [SupplyParameterFromQuery(Name = "status")] public string? Status { get; set; }

    /// <summary>Viewers follow jobs but are not offered to start one.</summary>
    private bool CanWrite => Workspace.Can(Permission.Write);

    protected override async Task OnInitializedAsync()
    {
        _filter = Formats.States.Contains(Status) ? Status! : AllStates;
        if (RendererInfo.IsInteractive)
        {
            var feed = _feed = new ThrottledFeed<JobDto>(ApplyBatchAsync, Logger);
            _subscription = Bus.SubscribeWorkspace(Workspace.WorkspaceId, feed.Post);
            _ageTimer = Time.CreateTimer(_ => _ = InvokeAsync(StateHasChanged), null, AgeRefresh, AgeRefresh);
        }
        _datasets = (await Datasets.ListAsync(Workspace.WorkspaceId, _disposed.Token)).ToDictionary(d => d.Id, d => d.Name);
        await LoadAsync();
        _feed?.Start();
    }

    private async Task LoadAsync()
    {
        var jobs = await Jobs.ListAsync(Workspace.WorkspaceId, _filter == AllStates ? null : _filter, Limit, _disposed.Token);
        await LoadPromptsAsync(jobs);
        _jobs = [.. jobs];
    }

    private async Task LoadPromptsAsync(IEnumerable<JobDto> jobs)
    {
        var missing = jobs.Select(j => j.PromptId).Where(id => !_prompts.ContainsKey(id)).ToList();
        if (missing.Count == 0) return;
        var found = await Prompts.GetManyAsync(Workspace.WorkspaceId, missing, _disposed.Token);
        _prompts = _prompts.Concat(found).ToDictionary();
    }

    private async Task ApplyBatchAsync(IReadOnlyList<JobDto> batch, CancellationToken ct)
    {
        await LoadPromptsAsync(batch);
        await InvokeAsync(() =>
        {
            foreach (var job in batch) Upsert(job);
            StateHasChanged();
        });
    }

    /// <summary>Keeps the list newest first; a job that stops matching the filter leaves it, one that starts matching joins.</summary>
    private void Upsert(JobDto job)
    {
        if (_jobs is null) return;
        var index = _jobs.FindIndex(j => j.Id == job.Id);
        var matches = _filter == AllStates || job.Status == _filter;
        if (index >= 0)
        {
            if (job.LastEventId < _jobs[index].LastEventId) return;
            if (matches) _jobs[index] = job;
            else _jobs.RemoveAt(index);
            return;
        }
        if (!matches) return;
        var at = _jobs.FindIndex(j => j.CreatedAt < job.CreatedAt);
        _jobs.Insert(at < 0 ? _jobs.Count : at, job);
        if (_jobs.Count > Limit) _jobs.RemoveAt(_jobs.Count - 1);
    }

    private async Task FilterChangedAsync(string filter)
    {
        _filter = filter;
        Navigation.NavigateTo(filter == AllStates ? "/jobs" : $"/jobs?status={filter}", replace: true);
        await LoadAsync();
    }

    private void Select(Guid id, bool selected)
    {
        if (selected) _selected.Add(id);
        else _selected.Remove(id);
    }

    private void Compare() => Navigation.NavigateTo($"/jobs/compare?ids={string.Join(',', _selected)}");

    private string PromptLabel(int promptId) =>
        _prompts.TryGetValue(promptId, out var p) ? $"{p.Name} v{p.Version}" : $"#{promptId}";

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        _subscription?.Dispose();
        if (_ageTimer is not null) await _ageTimer.DisposeAsync();
        if (_feed is not null) await _feed.DisposeAsync();
        _disposed.Dispose();
    }
}
