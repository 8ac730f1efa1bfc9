using Microsoft.AspNetCore.Components;
using PromptStudio.Client;
using PromptStudio.Web.Api;
using PromptStudio.Web.Prompts;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Components.Pages.Prompts;

/// <summary>One prompt version with its history; editing saves a new version and opens it.</summary>
public sealed partial class PromptPage
{
    private PromptDto? _prompt;
    private IReadOnlyList<PromptDto> _versions = [];
    private string? _loadError;
    private bool _editing;
    private int _fromId;
    private int _toId;

    [Inject] private PromptService Prompts { get; set; } = default!;
    [Inject] private WorkspaceContext Workspace { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    [Parameter] public int Id { get; set; }

    /// <summary>Viewers see the prompt and its history but are not offered what they may not do.</summary>
    private bool CanWrite => Workspace.Can(Permission.Write);

    protected override async Task OnParametersSetAsync()
    {
        if (_prompt?.Id == Id) return;
        _editing = false;
        _loadError = null;
        try
        {
            _prompt = await Prompts.GetAsync(Workspace.WorkspaceId, Id, CancellationToken.None);
            _versions = await Prompts.VersionsAsync(Workspace.WorkspaceId, Id, CancellationToken.None);
        }
        catch (NotFoundException e)
        {
            _prompt = null;
            _loadError = e.Message;
            return;
        }
        // By default: what changed from the previous version to this one.
        var index = _versions.ToList().FindIndex(v => v.Id == Id);
        _fromId = _versions[Math.Max(0, index - 1)].Id;
        _toId = Id;
    }

    private async Task AddVersionAsync(PromptEditor.Draft draft)
    {
        var version = await Prompts.AddVersionAsync(Workspace, Id,
            new AddPromptVersionRequest(draft.Template, draft.SystemPrompt, draft.Name, draft.Description), CancellationToken.None);
        Navigation.NavigateTo($"/prompts/{version.Id}");
    }

    private string VersionLabel(int id) =>
        _versions.FirstOrDefault(v => v.Id == id) is { } v ? $"v{v.Version} · {v.CreatedAt:yyyy-MM-dd HH:mm}" : "";
}
