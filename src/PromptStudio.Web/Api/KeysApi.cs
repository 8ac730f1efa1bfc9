using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Auth;
using PromptStudio.Web.Data;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Api;

public sealed record CreateApiKeyRequest(string? Name, string? Scope, DateTimeOffset? ExpiresAt = null);
public sealed record ApiKeyDto(Guid Id, string Name, string Prefix, string Scope, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>The secret appears in this response only; afterwards the key is known by its prefix.</summary>
public sealed record CreatedApiKeyDto(ApiKeyDto Info, string Key);

public sealed record MeDto(string UserId, string UserName, Guid WorkspaceId, string WorkspaceName, string Role, string Permission, Guid? ApiKeyId);

public sealed record AuditEntryDto(long Id, string Actor, string Action, string Target, string? Details, DateTimeOffset At);

public static class KeysApi
{
    public static RouteGroupBuilder MapKeysApi(this RouteGroupBuilder api)
    {
        api.MapGet("/me", (WorkspaceContext ws) => TypedResults.Ok(new MeDto(ws.UserId, ws.UserName, ws.WorkspaceId, ws.WorkspaceName,
            ws.Role.ToWire(), ws.MaxPermission.ToString().ToLowerInvariant(), ws.ApiKeyId))).WithTags("Workspaces");

        api.MapGet("/audit", async (int? limit, WorkspaceContext ws, AuditLog audit, CancellationToken ct) =>
        {
            var rows = await audit.ReadAsync(ws.WorkspaceId, Math.Clamp(limit ?? 200, 1, 1000), ct);
            return TypedResults.Ok(rows.Select(a => new AuditEntryDto(a.Id, a.Actor, a.Action, a.Target, a.Details, Jobs.JobMapping.AsOffset(a.At))).ToArray());
        }).RequirePermission(Permission.Admin).WithTags("Workspaces");

        var keys = api.MapGroup("/keys").WithTags("API keys").RequirePermission(Permission.Admin);

        keys.MapGet("/", async (WorkspaceContext ws, ApiKeyService service, CancellationToken ct) =>
            TypedResults.Ok(await service.ListAsync(ws.WorkspaceId, ct)));

        keys.MapPost("/", async Task<Created<CreatedApiKeyDto>> (CreateApiKeyRequest request, WorkspaceContext ws, ApiKeyService service, CancellationToken ct) =>
        {
            var created = await service.CreateAsync(ws, request, ct);
            return TypedResults.Created($"/api/keys/{created.Info.Id}", created);
        });

        keys.MapDelete("/{id:guid}", async (Guid id, WorkspaceContext ws, ApiKeyService service, CancellationToken ct) =>
        {
            await service.RevokeAsync(ws, id, ct);
            return TypedResults.NoContent();
        });
        return api;
    }
}

/// <summary>API keys of a workspace, shared by the API and the settings page.</summary>
public sealed class ApiKeyService(IDbContextFactory<StudioDbContext> dbFactory, AuditLog audit, TimeProvider time)
{
    public async Task<IReadOnlyList<ApiKeyDto>> ListAsync(Guid workspaceId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.ApiKeys.AsNoTracking().Where(k => k.WorkspaceId == workspaceId)
            .OrderByDescending(k => k.CreatedAt).ToListAsync(ct);
        var creators = rows.Select(k => k.UserId).Distinct().ToList();
        var names = await db.Users.AsNoTracking().Where(u => creators.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.UserName, ct);
        return rows.Select(k => ToDto(k, names.GetValueOrDefault(k.UserId) ?? k.UserId)).ToList();
    }

    public async Task<CreatedApiKeyDto> CreateAsync(WorkspaceContext ws, CreateApiKeyRequest request, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100) errors.Add("name", "name is required and at most 100 characters.");
        if (!Enum.TryParse<ApiKeyScope>(request.Scope, true, out var scope) || int.TryParse(request.Scope, out _))
            errors.Add("scope", $"scope must be one of read, write, admin (got '{request.Scope}').");
        var now = time.GetUtcNow().UtcDateTime;
        if (request.ExpiresAt is { } e && e.UtcDateTime <= now) errors.Add("expiresAt", "expiresAt must be in the future.");
        if (!errors.IsEmpty) throw new DomainValidationException(errors);

        var (key, prefix, hash) = ApiKeyFormat.Generate();
        var row = new ApiKey
        {
            Id = Guid.CreateVersion7(),
            WorkspaceId = ws.WorkspaceId,
            UserId = ws.UserId,
            Name = request.Name!.Trim(),
            Prefix = prefix,
            Hash = hash,
            Scope = scope,
            CreatedAt = now,
            ExpiresAt = request.ExpiresAt?.UtcDateTime,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.ApiKeys.Add(row);
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(ws.WorkspaceId, ws.UserName, "key.created", $"{row.Name} ({prefix}…)", scope.ToString().ToLowerInvariant(), ct);
        return new CreatedApiKeyDto(ToDto(row, ws.UserName), key);
    }

    public async Task RevokeAsync(WorkspaceContext ws, Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id && k.WorkspaceId == ws.WorkspaceId, ct) ?? throw new NotFoundException("API key", id);
        row.RevokedAt ??= time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(ws.WorkspaceId, ws.UserName, "key.revoked", $"{row.Name} ({row.Prefix}…)", null, ct);
    }

    private static ApiKeyDto ToDto(ApiKey k, string createdBy) => new(
        k.Id, k.Name, k.Prefix, k.Scope.ToString().ToLowerInvariant(), createdBy, Jobs.JobMapping.AsOffset(k.CreatedAt),
        k.ExpiresAt is { } e ? Jobs.JobMapping.AsOffset(e) : null,
        k.LastUsedAt is { } l ? Jobs.JobMapping.AsOffset(l) : null,
        k.RevokedAt is { } r ? Jobs.JobMapping.AsOffset(r) : null);
}
