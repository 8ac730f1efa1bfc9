using System.Globalization;
using Microsoft.AspNetCore.Components;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Components.Pages.Jobs;

/// <summary>
/// The new-job form's estimate. The prompt, items and providers are read once per prompt version and dataset;
/// every other change of the form recomputes the estimate in memory with the API's own parser and estimator.
/// </summary>
public sealed partial class JobEstimatePanel
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private (Guid Workspace, int Prompt, int Dataset)? _basisKey;
    private EstimateBasis? _basis;
    private bool _loaded;
    private JobEstimateDto? _estimate;
    private string? _message;

    [Inject] private JobEstimator Estimator { get; set; } = default!;
    [Inject] private WorkspaceContext Workspace { get; set; } = default!;

    [Parameter, EditorRequired] public int? PromptId { get; set; }

    [Parameter, EditorRequired] public int? DatasetId { get; set; }

    /// <summary>The configuration the form would send.</summary>
    [Parameter, EditorRequired] public RawOptimizationConfig Config { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        if (PromptId is not { } promptId || DatasetId is not { } datasetId)
        {
            (_estimate, _message) = (null, "Pick a prompt and a dataset to see an estimate.");
            return;
        }

        var key = (Workspace.WorkspaceId, promptId, datasetId);
        if (_basisKey != key)
        {
            (_basisKey, _basis, _loaded) = (key, null, false);
            var basis = await Estimator.LoadBasisAsync(key.WorkspaceId, promptId, datasetId, CancellationToken.None);
            // The user may have picked something else while this was read: keep only the newest choice's basis.
            if (_basisKey != key) return;
            (_basis, _loaded) = (basis, true);
        }
        Recompute();
    }

    private void Recompute()
    {
        if (!_loaded)
        {
            // Still reading the basis: the progress bar shows, and the read recomputes with the newest settings when it ends.
            (_estimate, _message) = (null, null);
            return;
        }
        if (_basis is null)
        {
            (_estimate, _message) = (null, "The prompt or the dataset was not found.");
            return;
        }
        var errors = new ValidationErrors();
        var config = OptimizationConfigParser.TryParse(Config, errors);
        (_estimate, _message) = errors.IsEmpty
            ? (JobEstimator.Estimate(_basis, config, []), (string?)null)
            : ((JobEstimateDto?)null, "Fix the highlighted settings to see an estimate.");
    }

    private static string RoleName(string role) => role switch
    {
        Core.Optimization.RunEstimator.EvaluationRole => "model under test",
        Core.Optimization.RunEstimator.MutationRole => "mutator",
        _ => role,
    };

    private static string Count(long value) => value.ToString("N0", Invariant);

    private static string Tokens(long value) => value switch
    {
        >= 1_000_000 => (value / 1_000_000.0).ToString("0.0", Invariant) + "M",
        >= 10_000 => (value / 1_000.0).ToString("0", Invariant) + "k",
        _ => value.ToString("N0", Invariant),
    };

    private static string Cost(JobEstimateDto estimate, UsageEstimateDto usage) =>
        estimate.Simulated ? "simulated: no cost" : usage.CostUsd is { } usd ? usd.ToString("$0.0000", Invariant) : "unknown";

    private static string PriceText(JobEstimateDto estimate, RoleEstimateDto role) =>
        estimate.Simulated ? ""
        : role.InputPerMillion is { } input && role.OutputPerMillion is { } output
            ? string.Create(Invariant, $", ${input}/${output} per 1M tokens")
            : ", no price";
}
