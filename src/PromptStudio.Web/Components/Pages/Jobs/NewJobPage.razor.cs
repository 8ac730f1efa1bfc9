using System.Text.Json;
using Microsoft.AspNetCore.Components;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Metrics;
using PromptStudio.Web.Datasets;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Prompts;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Components.Pages.Jobs;

/// <summary>
/// The form that starts a job. Its messages are the API's: every change runs Core's
/// <see cref="OptimizationConfigParser"/> on what the form would send, and what only the server can check
/// (prompt, dataset, model) comes back from <see cref="JobService.StartAsync"/> under the same field names.
/// </summary>
public sealed partial class NewJobPage
{
    private static readonly TuningParameters Defaults = new();
    private static readonly IReadOnlyList<string> MetricTypes = MetricSpec.KnownTypes;

    private readonly List<MetricRow> _metrics = [new() { Type = MetricSpec.Default.Type, Weight = MetricSpec.Default.Weight }];
    private IReadOnlyList<PromptDto>? _prompts;
    private IReadOnlyList<PromptDto> _versions = [];
    private IReadOnlyList<DatasetDto>? _datasets;
    private IDictionary<string, string[]> _errors = new Dictionary<string, string[]>();
    private IDictionary<string, string[]> _serverErrors = new Dictionary<string, string[]>();
    private Guid? _promptGroup;
    private int? _promptId;
    private int? _datasetId;
    private string? _model;
    private bool _dryRun = true;
    private int? _maxIterations = OptimizationConfig.DefaultMaxIterations;
    private double? _targetScore;
    private int? _patience;
    private double? _mutationStrength = Defaults.MutationStrength;
    private int? _candidates = Defaults.CandidatesPerIteration;
    private int? _seed = Defaults.Seed;
    private int? _latencyMs = Defaults.SimulatedLatencyMs;
    private int? _concurrency = Defaults.Concurrency;
    private double? _validationSplit = Defaults.ValidationSplit;
    private double? _minImprovement = Defaults.MinImprovement;
    private bool _preserveVariables = Defaults.PreserveVariables;
    private bool _advancedOpen;
    private bool _submitting;

    [Inject] private JobService Jobs { get; set; } = default!;
    [Inject] private PromptService Prompts { get; set; } = default!;
    [Inject] private DatasetService Datasets { get; set; } = default!;
    [Inject] private WorkspaceContext Workspace { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    [SupplyParameterFromQuery(Name = "promptId")] public int? PromptId { get; set; }

    [SupplyParameterFromQuery(Name = "datasetId")] public int? DatasetId { get; set; }

    /// <summary>A viewer who opens this page by its address gets a message in place of the form.</summary>
    private bool CanStartJobs => Workspace.Can(Permission.Write);

    private bool CanStart => CanStartJobs && RendererInfo.IsInteractive && !_submitting && _promptId is not null && _datasetId is not null
        && !_errors.Keys.Except(_serverErrors.Keys).Any();

    protected override async Task OnInitializedAsync()
    {
        if (!CanStartJobs) return;
        var ct = CancellationToken.None;
        _prompts = await Prompts.ListLatestAsync(Workspace.WorkspaceId, ct);
        _datasets = await Datasets.ListAsync(Workspace.WorkspaceId, ct);

        // Prefill from the query (the "Optimize" buttons); an unknown id is ignored rather than an error.
        var wanted = PromptId is { } id ? (await Prompts.GetManyAsync(Workspace.WorkspaceId, [id], ct)).GetValueOrDefault(id) : null;
        var group = wanted?.GroupId ?? _prompts.FirstOrDefault()?.GroupId;
        if (group is { } g) await SelectPromptAsync(g, wanted?.Id);
        _datasetId = _datasets.Any(d => d.Id == DatasetId) ? DatasetId
            : (_datasets.FirstOrDefault(d => d.PromptGroupId == group) ?? _datasets.FirstOrDefault())?.Id;
        Validate();
    }

    private async Task PromptChangedAsync(Guid? group)
    {
        if (group is { } g) await SelectPromptAsync(g, null);
        var linked = _datasets?.FirstOrDefault(d => d.PromptGroupId == group);
        if (linked is not null) _datasetId = linked.Id;
        Validate();
    }

    private async Task SelectPromptAsync(Guid group, int? versionId)
    {
        var latest = _prompts!.First(p => p.GroupId == group);
        _promptGroup = group;
        _versions = [.. (await Prompts.VersionsAsync(Workspace.WorkspaceId, latest.Id, CancellationToken.None)).OrderByDescending(v => v.Version)];
        _promptId = versionId ?? latest.Id;
    }

    private string VersionLabel(int? id) =>
        _versions.FirstOrDefault(v => v.Id == id) is { } v ? $"v{v.Version}{(v.IsLatest ? " (latest)" : "")} · {v.CreatedAt:yyyy-MM-dd}" : "";

    private string DatasetLabel(int? id) =>
        _datasets?.FirstOrDefault(d => d.Id == id) is { } d ? $"{d.Name} ({d.ItemCount} items)" : "";

    private List<string> MissingVariables()
    {
        var prompt = _versions.FirstOrDefault(v => v.Id == _promptId);
        var dataset = _datasets?.FirstOrDefault(d => d.Id == _datasetId);
        if (prompt is null || dataset is null || dataset.ItemCount == 0) return [];
        return prompt.Variables.Except(dataset.Variables).ToList();
    }

    private RawOptimizationConfig BuildConfig() =>
        new(_maxIterations, _targetScore, _patience, string.IsNullOrWhiteSpace(_model) ? null : _model.Trim(), _dryRun, BuildTuning());

    private Dictionary<string, JsonElement> BuildTuning()
    {
        var tuning = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        void Put(string key, object? value)
        {
            if (value is not null) tuning[key] = JsonSerializer.SerializeToElement(value, JobMapping.Json);
        }
        Put("mutationStrength", _mutationStrength);
        Put("candidatesPerIteration", _candidates);
        Put("seed", _seed);
        Put("concurrency", _concurrency);
        Put("validationSplit", _validationSplit);
        Put("minImprovement", _minImprovement);
        Put("preserveVariables", _preserveVariables);
        Put("evaluationMetrics", _metrics.Select(m => m.ToWire()).ToList());
        if (_dryRun) Put("simulatedLatencyMs", _latencyMs);
        return tuning;
    }

    /// <summary>Runs the API's own validation on what would be sent; a field the user changed drops its server message.</summary>
    private void Validate()
    {
        var errors = new ValidationErrors();
        OptimizationConfigParser.TryParse(BuildConfig(), errors);
        _serverErrors = _serverErrors.Where(e => e.Key switch
        {
            "promptId" => _promptId is not null,
            "datasetId" => _datasetId is not null,
            _ => false,
        }).ToDictionary();
        _errors = errors.ToDictionary().Concat(_serverErrors.Where(e => !errors.ToDictionary().ContainsKey(e.Key))).ToDictionary();
    }

    private bool HasError(string field) => _errors.ContainsKey(field);

    private string? ErrorFor(string field) => _errors.TryGetValue(field, out var messages) ? string.Join(" ", messages) : null;

    private static string Tuning(string key) => $"config.tuningParams.{key}";

    private static string Metric(int index, string option) => $"config.tuningParams.evaluationMetrics[{index}].{option}";

    private static string DefaultThreshold(string type) => MetricSpec.DefaultThreshold(type).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);

    private void AddMetric()
    {
        _metrics.Add(new MetricRow { Type = MetricSpec.Contains, Weight = 1 });
        Validate();
    }

    private void RemoveMetric(int index)
    {
        _metrics.RemoveAt(index);
        Validate();
    }

    private async Task StartAsync()
    {
        Validate();
        if (!CanStart) return;
        _submitting = true;
        try
        {
            var raw = BuildConfig();
            var config = new OptimizationConfigDto(raw.MaxIterations, raw.TargetScore, raw.Patience, raw.Model, raw.DryRun, BuildTuning());
            var job = await Jobs.StartAsync(Workspace, new StartOptimizationRequest(_promptId!.Value, _datasetId!.Value, config), CancellationToken.None);
            Navigation.NavigateTo($"/jobs/{job.Id}");
        }
        catch (DomainValidationException e)
        {
            _serverErrors = e.Errors.ToDictionary();
            _errors = _serverErrors;
        }
        finally
        {
            _submitting = false;
        }
    }

    private sealed class MetricRow
    {
        public string Type { get; set; } = MetricSpec.ExactMatch;
        public double? Weight { get; set; }
        public double? Threshold { get; set; }
        public string? Value { get; set; }
        public string? Pattern { get; set; }

        public Dictionary<string, object> ToWire()
        {
            var wire = new Dictionary<string, object> { ["type"] = Type };
            if (Weight is { } w) wire["weight"] = w;
            if (Threshold is { } t) wire["threshold"] = t;
            if (Type == MetricSpec.Contains && !string.IsNullOrEmpty(Value)) wire["value"] = Value;
            if (Type == MetricSpec.Regex) wire["pattern"] = Pattern ?? "";
            return wire;
        }
    }
}
