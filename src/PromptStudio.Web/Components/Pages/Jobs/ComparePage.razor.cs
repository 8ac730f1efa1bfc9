using System.Text.Json;
using Microsoft.AspNetCore.Components;
using PromptStudio.Client;
using PromptStudio.Web.Api;
using PromptStudio.Web.Components.Shared;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Prompts;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Components.Pages.Jobs;

/// <summary>
/// Several jobs side by side. The ids live in the query string, so a comparison can be shared; a compared
/// job that is still running refreshes its row and curve (at most once a second).
/// </summary>
public sealed partial class ComparePage : IAsyncDisposable
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _disposed = new();
    private IReadOnlyList<JobDto> _recent = [];
    private IReadOnlyCollection<Guid> _selectedIds = [];
    private List<CompareRow> _rows = [];
    private IDisposable? _subscription;
    private ThrottledFeed<JobDto>? _feed;

    [Inject] private JobService Jobs { get; set; } = default!;
    [Inject] private PromptService Prompts { get; set; } = default!;
    [Inject] private JobEventBus Bus { get; set; } = default!;
    [Inject] private WorkspaceContext Workspace { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private ILogger<ComparePage> Logger { get; set; } = default!;

    [SupplyParameterFromQuery(Name = "ids")] public string? Ids { get; set; }

    protected override async Task OnInitializedAsync()
    {
        _recent = await Jobs.ListAsync(Workspace.WorkspaceId, null, 100, _disposed.Token);
        if (RendererInfo.IsInteractive)
        {
            _feed = new ThrottledFeed<JobDto>(RefreshAsync, Logger, RefreshInterval);
            var feed = _feed;
            _subscription = Bus.SubscribeWorkspace(Workspace.WorkspaceId, job =>
            {
                if (_selectedIds.Contains(job.Id)) feed.Post(job);
            });
            feed.Start();
        }
    }

    protected override async Task OnParametersSetAsync()
    {
        var ids = (Ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => Guid.TryParse(s, out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty).Distinct().ToList();
        if (ids.SequenceEqual(_rows.Select(r => r.Job.Id))) return;
        var rows = new List<CompareRow>();
        foreach (var id in ids)
        {
            if (await LoadRowAsync(id, _disposed.Token) is { } row) rows.Add(row);
        }
        _rows = rows;
        _selectedIds = rows.Select(r => r.Job.Id).ToList();
        // A job picked by id that is older than the recent list still belongs in the picker.
        _recent = [.. _recent, .. rows.Select(r => r.Job).Where(j => _recent.All(x => x.Id != j.Id))];
    }

    private async Task<CompareRow?> LoadRowAsync(Guid id, CancellationToken ct)
    {
        try
        {
            var job = await Jobs.GetAsync(Workspace.WorkspaceId, id, ct);
            var results = await Jobs.GetResultsAsync(Workspace.WorkspaceId, id, includeItems: false, ct);
            var prompt = (await Prompts.GetManyAsync(Workspace.WorkspaceId, [job.PromptId], ct)).GetValueOrDefault(job.PromptId);
            return new CompareRow(job, results, prompt);
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    private async Task RefreshAsync(IReadOnlyList<JobDto> changed, CancellationToken ct)
    {
        var fresh = new List<CompareRow>();
        foreach (var id in changed.Select(j => j.Id).Distinct())
        {
            if (await LoadRowAsync(id, ct) is { } row) fresh.Add(row);
        }
        await InvokeAsync(() =>
        {
            _rows = _rows.Select(r => fresh.FirstOrDefault(f => f.Job.Id == r.Job.Id) ?? r).ToList();
            StateHasChanged();
        });
    }

    private void SelectionChanged(IReadOnlyCollection<Guid>? ids)
    {
        var list = ids ?? [];
        Navigation.NavigateTo(list.Count == 0 ? "/jobs/compare" : $"/jobs/compare?ids={string.Join(',', list)}", replace: true);
    }

    private IReadOnlyList<(string Name, double?[] Values)> ChartSeries()
    {
        var length = _rows.Max(r => r.Results.Iterations.Count == 0 ? 0 : r.Results.Iterations.Max(i => i.Iteration)) + 1;
        return _rows.Select(r =>
        {
            var values = new double?[length];
            foreach (var i in r.Results.Iterations.Where(i => i.Completed)) values[i.Iteration] = i.BestScore;
            return ($"{Formats.ShortId(r.Job.Id)} (seed {Seed(r.Job)})", values);
        }).ToList();
    }

    private static string Seed(JobDto job) =>
        job.Config.TuningParams?.TryGetValue("seed", out var seed) == true && seed.ValueKind == JsonValueKind.Number
            ? seed.GetRawText()
            : new Core.Jobs.TuningParameters().Seed.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string JobLabel(JobDto job) =>
        $"{Formats.ShortId(job.Id)} · {job.Status} · best {Formats.Score(job.BestScore)} · {job.CreatedAt:yyyy-MM-dd HH:mm}";

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        _subscription?.Dispose();
        if (_feed is not null) await _feed.DisposeAsync();
        _disposed.Dispose();
    }

    private sealed record CompareRow(JobDto Job, JobResultsDto Results, PromptDto? Prompt);
}
