using System.Globalization;
using Microsoft.AspNetCore.Components;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Llm;
using PromptStudio.Web.Providers;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Components.Pages;

/// <summary>The workspace's settings: LLM providers (list, add, edit, delete, Test connection).</summary>
public sealed partial class Settings
{
    [Inject] private ProviderService Providers { get; set; } = null!;

    [Inject] private WorkspaceContext Workspace { get; set; } = null!;

    private List<ProviderDto>? _providers;
    private readonly Dictionary<int, ProviderTestResultDto> _testResults = [];
    private readonly HashSet<int> _testing = [];
    private ProviderForm? _form;
    private int? _editingId;
    private string? _editingLast4;
    private IDictionary<string, string[]> _errors = new Dictionary<string, string[]>();
    private string? _formError;
    private string? _pricesError;
    private bool _saving;

    protected override async Task OnInitializedAsync() => await LoadAsync();

    private async Task LoadAsync() => _providers = [.. await Providers.ListAsync(Workspace.WorkspaceId, CancellationToken.None)];

    private string? BaseUrlPlaceholder => _form?.Kind is { } kind ? ProviderKinds.DefaultBaseUrl(kind) : null;

    private bool HasError(string field) => _errors.ContainsKey(field);

    private string? ErrorOf(string field) => _errors.TryGetValue(field, out var messages) ? string.Join(" ", messages) : null;

    private void StartAdd()
    {
        _editingId = null;
        _editingLast4 = null;
        _form = new ProviderForm();
        ClearErrors();
    }

    private void StartEdit(ProviderDto p)
    {
        _editingId = p.Id;
        _editingLast4 = p.HasApiKey ? p.ApiKeyLast4 : null;
        _form = new ProviderForm
        {
            Name = p.Name,
            Kind = p.Kind,
            BaseUrl = p.BaseUrl,
            Models = string.Join(", ", p.Models),
            DefaultModel = p.DefaultModel,
            MaxConcurrency = p.MaxConcurrency,
            RequestsPerMinute = p.RequestsPerMinute,
            Prices = string.Join("\n", p.Prices.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} = {kv.Value.InputPerMillion} / {kv.Value.OutputPerMillion}"))),
        };
        ClearErrors();
    }

    private void Close()
    {
        _form = null;
        ClearErrors();
    }

    private void ClearErrors()
    {
        _errors = new Dictionary<string, string[]>();
        _formError = null;
        _pricesError = null;
    }

    private async Task SaveAsync()
    {
        if (_form is null) return;
        ClearErrors();
        if (!ProviderForm.TryParsePrices(_form.Prices, out var prices, out _pricesError)) return;

        _saving = true;
        try
        {
            // An empty key field on edit keeps the stored key.
            var key = string.IsNullOrWhiteSpace(_form.ApiKey) ? null : _form.ApiKey;
            var request = new SaveProviderRequest(_form.Name, _form.Kind, _form.BaseUrl, key,
                _form.Models?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList() ?? [],
                _form.DefaultModel, _form.MaxConcurrency, _form.RequestsPerMinute, prices);
            if (_editingId is { } id) await Providers.UpdateAsync(Workspace.WorkspaceId, id, request, CancellationToken.None);
            else await Providers.CreateAsync(Workspace.WorkspaceId, request, CancellationToken.None);
            _form = null;
            await LoadAsync();
        }
        catch (DomainValidationException e)
        {
            _errors = e.Errors.ToDictionary();
            _formError = "Some fields need attention.";
        }
        finally
        {
            _saving = false;
        }
    }

    private async Task DeleteAsync(ProviderDto p)
    {
        await Providers.DeleteAsync(Workspace.WorkspaceId, p.Id, CancellationToken.None);
        _testResults.Remove(p.Id);
        await LoadAsync();
    }

    private async Task TestAsync(ProviderDto p)
    {
        _testing.Add(p.Id);
        _testResults.Remove(p.Id);
        try
        {
            _testResults[p.Id] = await Providers.TestAsync(Workspace.WorkspaceId, p.Id, CancellationToken.None);
        }
        finally
        {
            _testing.Remove(p.Id);
        }
    }

    /// <summary>The form as the user types it; turned into a <see cref="SaveProviderRequest"/> on save.</summary>
    internal sealed class ProviderForm
    {
        public string? Name { get; set; }
        public string Kind { get; set; } = ProviderKinds.OpenAI;
        public string? BaseUrl { get; set; }
        public string? ApiKey { get; set; }
        public string? Models { get; set; }
        public string? DefaultModel { get; set; }
        public int MaxConcurrency { get; set; } = ProviderDefaults.MaxConcurrency;
        public int RequestsPerMinute { get; set; } = ProviderDefaults.RequestsPerMinute;
        public string? Prices { get; set; }

        /// <summary>Lines of "model = input / output" (USD per 1M tokens).</summary>
        public static bool TryParsePrices(string? text, out Dictionary<string, ModelPriceDto> prices, out string? error)
        {
            prices = [];
            error = null;
            foreach (var line in (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var parts = line.Split('=', 2, StringSplitOptions.TrimEntries);
                var amounts = parts.Length == 2 ? parts[1].Split('/', StringSplitOptions.TrimEntries) : [];
                if (parts.Length != 2 || parts[0].Length == 0 || amounts.Length != 2
                    || !decimal.TryParse(amounts[0], NumberStyles.Number, CultureInfo.InvariantCulture, out var input)
                    || !decimal.TryParse(amounts[1], NumberStyles.Number, CultureInfo.InvariantCulture, out var output))
                {
                    error = $"'{line}' is not of the form: model = input / output";
                    return false;
                }
                prices[parts[0]] = new ModelPriceDto(input, output);
            }
            return true;
        }
    }
}
