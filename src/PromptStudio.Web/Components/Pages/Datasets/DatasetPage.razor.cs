using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;
using PromptStudio.Client;
using PromptStudio.Web.Api;
using PromptStudio.Web.Datasets;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Components.Pages.Datasets;

/// <summary>A dataset's items: paged grid, add, edit, delete, import and export.</summary>
public sealed partial class DatasetPage
{
    private const int PageSize = 50;
    private const int ExportPageSize = 1000;

    private DatasetDto? _dataset;
    private Page<DatasetItemDto>? _items;
    private DatasetItemDto? _editItem;
    private string? _loadError;
    private bool _editing;
    private int _page = 1;

    [Inject] private DatasetService Datasets { get; set; } = default!;
    [Inject] private WorkspaceContext Workspace { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private IJSRuntime Js { get; set; } = default!;

    [Parameter] public int Id { get; set; }

    private string OptimizeHref => $"/jobs/new?datasetId={Id}";

    /// <summary>Viewers see and export the items but are not offered what they may not do.</summary>
    private bool CanWrite => Workspace.Can(Permission.Write);

    protected override async Task OnParametersSetAsync()
    {
        if (_dataset?.Id == Id) return;
        _page = 1;
        _editing = false;
        try
        {
            await ReloadAsync();
        }
        catch (NotFoundException e)
        {
            _dataset = null;
            _loadError = e.Message;
        }
    }

    private async Task ReloadAsync()
    {
        _dataset = await Datasets.GetAsync(Workspace.WorkspaceId, Id, CancellationToken.None);
        var pages = Math.Max(1, (_dataset.ItemCount + PageSize - 1) / PageSize);
        _page = Math.Min(_page, pages);
        _items = await Datasets.ItemsAsync(Workspace.WorkspaceId, Id, (_page - 1) * PageSize, PageSize, CancellationToken.None);
    }

    private async Task PageChangedAsync(int page)
    {
        _page = page;
        await ReloadAsync();
    }

    private void AddItem()
    {
        _editItem = null;
        _editing = true;
    }

    private void EditItem(DatasetItemDto item)
    {
        _editItem = item;
        _editing = true;
    }

    private async Task SaveItemAsync(DatasetItemInput input)
    {
        if (_editItem is null) await Datasets.AddItemsAsync(Workspace, Id, new AddDatasetItemsRequest([input]), CancellationToken.None);
        else await Datasets.UpdateItemAsync(Workspace, Id, _editItem.Id, input, CancellationToken.None);
        Snackbar.Add(_editItem is null ? "Item added." : $"Item {_editItem.Id} saved.", Severity.Success);
        _editing = false;
        await ReloadAsync();
    }

    private async Task DeleteItemAsync(DatasetItemDto item)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync($"Delete item {item.Id}?",
            "The item is removed from the dataset. Finished jobs keep their results for it.", yesText: "Delete", cancelText: "Keep it");
        if (confirmed != true) return;
        await Datasets.DeleteItemAsync(Workspace, Id, item.Id, CancellationToken.None);
        await ReloadAsync();
    }

    private async Task OnImportedAsync(int count)
    {
        Snackbar.Add($"Imported {count} items.", Severity.Success);
        await ReloadAsync();
    }

    private async Task ExportAsync(DatasetFileFormat format)
    {
        var items = new List<DatasetItemDto>();
        while (true)
        {
            var page = await Datasets.ItemsAsync(Workspace.WorkspaceId, Id, items.Count, ExportPageSize, CancellationToken.None);
            items.AddRange(page.Items);
            if (page.Items.Count < ExportPageSize) break;
        }
        var bytes = DatasetFiles.Encode(DatasetFiles.Write(items, format));
        using var stream = new DotNetStreamReference(new MemoryStream(bytes));
        var fileName = string.Concat(_dataset!.Name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '-')) + DatasetFiles.Extension(format);
        await Js.InvokeVoidAsync("promptStudio.download", fileName, DatasetFiles.ContentType(format), stream);
    }
}
