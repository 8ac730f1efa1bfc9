using Microsoft.EntityFrameworkCore;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Api;
using PromptStudio.Web.Data;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Prompts;

/// <summary>
/// Prompts and their versions, shared by the API and the dashboard. Writes take the caller's resolved
/// <see cref="WorkspaceContext"/> and check <see cref="Permission.Write"/> here, so every caller gets the same rule.
/// </summary>
public sealed class PromptService(IDbContextFactory<StudioDbContext> dbFactory, TimeProvider time)
{
    public const int MaxTemplateLength = 100_000;

    public async Task<PromptDto> CreateAsync(WorkspaceContext ws, CreatePromptRequest request, CancellationToken ct)
    {
        WorkspaceService.Require(ws, Permission.Write);
        var errors = new ValidationErrors();
        if (string.IsNullOrWhiteSpace(request.Name)) errors.Add("name", "name is required.");
        else if (request.Name.Length > 200) errors.Add("name", "name must be at most 200 characters.");
        ValidateText(request.Template, request.SystemPrompt, errors);
        if (!errors.IsEmpty) throw new DomainValidationException(errors);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var prompt = Prompt.Create(ws.WorkspaceId, request.Name!.Trim(), request.Description, Blank(request.SystemPrompt), request.Template!, ws.UserName, time.GetUtcNow().UtcDateTime);
        db.Prompts.Add(prompt);
        await db.SaveChangesAsync(ct);
        return prompt.ToDto();
    }

    public async Task<PromptDto> AddVersionAsync(WorkspaceContext ws, int promptId, AddPromptVersionRequest request, CancellationToken ct)
    {
        WorkspaceService.Require(ws, Permission.Write);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var any = await db.Prompts.AsNoTracking().FirstOrDefaultAsync(p => p.Id == promptId && p.WorkspaceId == ws.WorkspaceId, ct)
            ?? throw new NotFoundException("Prompt", promptId);
        var errors = new ValidationErrors();
        ValidateText(request.Template, request.SystemPrompt, errors);
        if (request.Name is { Length: > 200 }) errors.Add("name", "name must be at most 200 characters.");
        if (!errors.IsEmpty) throw new DomainValidationException(errors);
        var latest = await db.Prompts.SingleAsync(p => p.GroupId == any.GroupId && p.IsLatest, ct);
        var version = latest.NextVersion(latest.Version + 1, Blank(request.Name), request.Description, Blank(request.SystemPrompt), request.Template!, ws.UserName, time.GetUtcNow().UtcDateTime);
        db.Prompts.Add(version);
        await db.SaveChangesAsync(ct);
        return version.ToDto();
    }

    public async Task<IReadOnlyList<PromptDto>> ListLatestAsync(Guid workspaceId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var prompts = await db.Prompts.AsNoTracking().Where(p => p.WorkspaceId == workspaceId && p.IsLatest).OrderBy(p => p.Name).ToListAsync(ct);
        return prompts.Select(p => p.ToDto()).ToList();
    }

    public async Task<PromptDto> GetAsync(Guid workspaceId, int promptId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var prompt = await db.Prompts.AsNoTracking().FirstOrDefaultAsync(p => p.Id == promptId && p.WorkspaceId == workspaceId, ct)
            ?? throw new NotFoundException("Prompt", promptId);
        return prompt.ToDto();
    }

    /// <summary>The given prompt versions (unknown ids are left out), for labels in lists of jobs.</summary>
    public async Task<IReadOnlyDictionary<int, PromptDto>> GetManyAsync(Guid workspaceId, IEnumerable<int> promptIds, CancellationToken ct)
    {
        var ids = promptIds.Distinct().ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var prompts = await db.Prompts.AsNoTracking().Where(p => p.WorkspaceId == workspaceId && ids.Contains(p.Id)).ToListAsync(ct);
        return prompts.ToDictionary(p => p.Id, p => p.ToDto());
    }

    /// <summary>All versions of the prompt that <paramref name="promptId"/> is a version of, oldest first.</summary>
    public async Task<IReadOnlyList<PromptDto>> VersionsAsync(Guid workspaceId, int promptId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var prompt = await db.Prompts.AsNoTracking().FirstOrDefaultAsync(p => p.Id == promptId && p.WorkspaceId == workspaceId, ct)
            ?? throw new NotFoundException("Prompt", promptId);
        var versions = await db.Prompts.AsNoTracking().Where(p => p.GroupId == prompt.GroupId).OrderBy(p => p.Version).ToListAsync(ct);
        return versions.Select(p => p.ToDto()).ToList();
    }

    private static void ValidateText(string? template, string? systemPrompt, ValidationErrors errors)
    {
        if (string.IsNullOrWhiteSpace(template)) errors.Add("template", "template is required.");
        else if (template.Length > MaxTemplateLength) errors.Add("template", $"template must be at most {MaxTemplateLength} characters.");
        if (systemPrompt is { Length: > MaxTemplateLength }) errors.Add("systemPrompt", $"systemPrompt must be at most {MaxTemplateLength} characters.");
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}

public static class PromptMapping
{
    public static PromptDto ToDto(this Prompt p) => new(
        p.Id, p.GroupId, p.Name, p.Description, p.Version, p.IsLatest, p.SystemPrompt, p.Template, p.Variables,
        p.SourceJobId, Jobs.JobMapping.AsOffset(p.CreatedAt), p.CreatedBy);
}
