using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Auth;
using PromptStudio.Web.Data;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Api;

public sealed record WorkspaceDto(Guid Id, string Name, string Role, int IterationsUsed, int IterationLimit, int Members, DateTimeOffset CreatedAt);
public sealed record CreateWorkspaceRequest(string? Name);
public sealed record SetLimitRequest(int? IterationLimit);
public sealed record MemberDto(string UserId, string UserName, string Role, DateTimeOffset JoinedAt);
public sealed record AddMemberRequest(string? Email, string? Role, string? Password = null);
public sealed record ChangeRoleRequest(string? Role);
public sealed record InviteRequest(string? Role, string? Email = null);
public sealed record InvitationDto(Guid Id, string Role, string? Email, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? AcceptedAt, string? AcceptedBy);
public sealed record CreatedInvitationDto(Guid Id, string Role, string Token, string RegisterUrl, DateTimeOffset ExpiresAt);
public sealed record AcceptInvitationRequest(string? Token);
public sealed record TransferRequest(string? UserId);

/// <summary>
/// Workspaces the caller belongs to, their members, invitations and limits. Routes name the workspace by id;
/// one the caller does not belong to answers 404, exactly like one that does not exist.
/// </summary>
public static class WorkspacesApi
{
    public static RouteGroupBuilder MapWorkspacesApi(this RouteGroupBuilder root)
    {
        var group = root.MapGroup("/workspaces").WithTags("Workspaces");

        group.MapGet("/", async (ClaimsPrincipal user, WorkspaceResolver resolver, IDbContextFactory<StudioDbContext> dbf, CancellationToken ct) =>
        {
            var me = new WorkspaceContext();
            if (!await resolver.ResolveAsync(user, null, me, ct)) return TypedResults.Ok(Array.Empty<WorkspaceDto>());
            await using var db = await dbf.CreateDbContextAsync(ct);
            var ids = me.Memberships.Select(m => m.WorkspaceId).ToList();
            var rows = await db.Workspaces.AsNoTracking().Where(w => ids.Contains(w.Id)).ToListAsync(ct);
            var counts = await db.Members.Where(m => ids.Contains(m.WorkspaceId)).GroupBy(m => m.WorkspaceId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
            return TypedResults.Ok(me.Memberships.Select(m => WorkspaceService.ToDto(rows.First(w => w.Id == m.WorkspaceId), m.Role, counts.GetValueOrDefault(m.WorkspaceId))).ToArray());
        });

        group.MapPost("/", async Task<Results<Created<WorkspaceDto>, ProblemHttpResult>> (CreateWorkspaceRequest request, ClaimsPrincipal user, AccountService accounts, IDbContextFactory<StudioDbContext> dbf, TimeProvider time, CancellationToken ct) =>
        {
            if (user.FindFirst(ApiKeyClaims.KeyId) is not null) throw new ForbiddenException("API keys belong to one workspace and cannot create workspaces.");
            if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200) throw DomainValidationException.For("name", "name is required and at most 200 characters.");
            var now = time.GetUtcNow().UtcDateTime;
            var workspace = accounts.NewWorkspace(request.Name.Trim(), now);
            await using var db = await dbf.CreateDbContextAsync(ct);
            db.Workspaces.Add(workspace);
            db.Members.Add(new WorkspaceMember { WorkspaceId = workspace.Id, UserId = UserId(user), Role = WorkspaceRole.Owner, JoinedAt = now });
            await db.SaveChangesAsync(ct);
            return TypedResults.Created($"/api/workspaces/{workspace.Id}", WorkspaceService.ToDto(workspace, WorkspaceRole.Owner, 1));
        });

        group.MapGet("/{id:guid}", async (Guid id, ClaimsPrincipal user, WorkspaceResolver resolver, WorkspaceService workspaces, CancellationToken ct) =>
            TypedResults.Ok(await workspaces.GetAsync(await RequireAsync(resolver, user, id, Permission.Read, ct), ct)));

        group.MapPut("/{id:guid}/limit", async (Guid id, SetLimitRequest request, ClaimsPrincipal user, WorkspaceResolver resolver, WorkspaceService workspaces, CancellationToken ct) =>
            TypedResults.Ok(await workspaces.SetLimitAsync(await RequireAsync(resolver, user, id, Permission.Read, ct), request.IterationLimit, ct)));

        group.MapPost("/{id:guid}/transfer", async (Guid id, TransferRequest request, ClaimsPrincipal user, WorkspaceResolver resolver, IDbContextFactory<StudioDbContext> dbf, AuditLog audit, CancellationToken ct) =>
        {
            var ws = await RequireAsync(resolver, user, id, Permission.Owner, ct);
            await using var db = await dbf.CreateDbContextAsync(ct);
            var target = await db.Members.FirstOrDefaultAsync(m => m.WorkspaceId == id && m.UserId == request.UserId, ct)
                ?? throw DomainValidationException.For("userId", "userId must name a member of the workspace.");
            var me = await db.Members.FirstAsync(m => m.WorkspaceId == id && m.UserId == ws.UserId, ct);
            target.Role = WorkspaceRole.Owner;
            if (target != me) me.Role = WorkspaceRole.Admin;
            await db.SaveChangesAsync(ct);
            await audit.WriteAsync(id, ws.UserName, "workspace.transferred", $"workspace {id}", $"to {request.UserId}", ct);
            return TypedResults.NoContent();
        });

        group.MapDelete("/{id:guid}", async (Guid id, ClaimsPrincipal user, WorkspaceResolver resolver, IDbContextFactory<StudioDbContext> dbf, CancellationToken ct) =>
        {
            await RequireAsync(resolver, user, id, Permission.Owner, ct);
            await using var db = await dbf.CreateDbContextAsync(ct);
            if (await db.Jobs.AnyAsync(j => j.WorkspaceId == id && (j.Status == JobStatus.Running || j.Status == JobStatus.Queued), ct))
                throw new ForbiddenException("Cancel the workspace's queued and running jobs before deleting it.");
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var jobIds = db.Jobs.Where(j => j.WorkspaceId == id).Select(j => j.Id);
            await db.JobEvents.Where(e => jobIds.Contains(e.JobId)).ExecuteDeleteAsync(ct);
            await db.JobCandidates.Where(e => jobIds.Contains(e.JobId)).ExecuteDeleteAsync(ct);
            await db.JobIterations.Where(e => jobIds.Contains(e.JobId)).ExecuteDeleteAsync(ct);
            await db.Jobs.Where(j => j.WorkspaceId == id).ExecuteDeleteAsync(ct);
            await db.Datasets.Where(d => d.WorkspaceId == id).ExecuteDeleteAsync(ct);
            await db.Prompts.Where(p => p.WorkspaceId == id).ExecuteDeleteAsync(ct);
            await db.ApiKeys.Where(k => k.WorkspaceId == id).ExecuteDeleteAsync(ct);
            await db.Invitations.Where(i => i.WorkspaceId == id).ExecuteDeleteAsync(ct);
            await db.AuditEntries.Where(a => a.WorkspaceId == id).ExecuteDeleteAsync(ct);
            await db.Members.Where(m => m.WorkspaceId == id).ExecuteDeleteAsync(ct);
            await db.Workspaces.Where(w => w.Id == id).ExecuteDeleteAsync(ct);
            await tx.CommitAsync(ct);
            return TypedResults.NoContent();
        });

        MapMembers(group);
        MapInvitations(root, group);
        return root;
    }

    private static void MapMembers(RouteGroupBuilder group)
    {
        group.MapGet("/{id:guid}/members", async (Guid id, ClaimsPrincipal user, WorkspaceResolver resolver, WorkspaceService workspaces, CancellationToken ct) =>
            TypedResults.Ok(await workspaces.MembersAsync(await RequireAsync(resolver, user, id, Permission.Read, ct), ct)));

        group.MapPost("/{id:guid}/members", async (Guid id, AddMemberRequest request, ClaimsPrincipal user, WorkspaceResolver resolver, UserManager<StudioUser> users, IDbContextFactory<StudioDbContext> dbf, AuditLog audit, TimeProvider time, CancellationToken ct) =>
        {
            var ws = await RequireAsync(resolver, user, id, Permission.Admin, ct);
            var role = WorkspaceService.ParseRole(request.Role, ws);
            if (string.IsNullOrWhiteSpace(request.Email)) throw DomainValidationException.For("email", "email is required.");
            var account = await users.FindByEmailAsync(request.Email.Trim());
            if (account is null)
            {
                if (string.IsNullOrEmpty(request.Password))
                    throw DomainValidationException.For("email", $"No account uses '{request.Email}'; give a password to create one, or send an invitation.");
                account = new StudioUser { UserName = request.Email.Trim(), Email = request.Email.Trim() };
                var created = await users.CreateAsync(account, request.Password);
                if (!created.Succeeded) throw IdentityErrors("password", created);
            }
            await using var db = await dbf.CreateDbContextAsync(ct);
            if (await db.Members.AnyAsync(m => m.WorkspaceId == id && m.UserId == account.Id, ct)) throw DomainValidationException.For("email", $"{request.Email} is already a member.");
            var member = new WorkspaceMember { WorkspaceId = id, UserId = account.Id, Role = role, JoinedAt = time.GetUtcNow().UtcDateTime };
            db.Members.Add(member);
            await db.SaveChangesAsync(ct);
            await audit.WriteAsync(id, ws.UserName, "member.added", account.UserName!, role.ToWire(), ct);
            return TypedResults.Created($"/api/workspaces/{id}/members/{account.Id}", new MemberDto(account.Id, account.UserName!, role.ToWire(), Jobs.JobMapping.AsOffset(member.JoinedAt)));
        });

        group.MapPatch("/{id:guid}/members/{userId}", async (Guid id, string userId, ChangeRoleRequest request, ClaimsPrincipal user, WorkspaceResolver resolver, WorkspaceService workspaces, CancellationToken ct) =>
        {
            await workspaces.ChangeRoleAsync(await RequireAsync(resolver, user, id, Permission.Read, ct), userId, request.Role, ct);
            return TypedResults.NoContent();
        });

        group.MapDelete("/{id:guid}/members/{userId}", async (Guid id, string userId, ClaimsPrincipal user, WorkspaceResolver resolver, WorkspaceService workspaces, CancellationToken ct) =>
        {
            await workspaces.RemoveMemberAsync(await RequireAsync(resolver, user, id, Permission.Read, ct), userId, ct);
            return TypedResults.NoContent();
        });
    }

    private static void MapInvitations(RouteGroupBuilder root, RouteGroupBuilder group)
    {
        group.MapGet("/{id:guid}/invitations", async (Guid id, ClaimsPrincipal user, WorkspaceResolver resolver, WorkspaceService workspaces, CancellationToken ct) =>
            TypedResults.Ok(await workspaces.InvitationsAsync(await RequireAsync(resolver, user, id, Permission.Read, ct), ct)));

        group.MapPost("/{id:guid}/invitations", async (Guid id, InviteRequest request, HttpContext http, ClaimsPrincipal user, WorkspaceResolver resolver, WorkspaceService workspaces, CancellationToken ct) =>
        {
            var created = await workspaces.InviteAsync(await RequireAsync(resolver, user, id, Permission.Read, ct), request.Role, request.Email,
                $"{http.Request.Scheme}://{http.Request.Host}", ct);
            return TypedResults.Created($"/api/workspaces/{id}/invitations", created);
        });

        root.MapPost("/invitations/accept", async (AcceptInvitationRequest request, ClaimsPrincipal user, AccountService accounts, IDbContextFactory<StudioDbContext> dbf, CancellationToken ct) =>
        {
            if (user.FindFirst(ApiKeyClaims.KeyId) is not null) throw new ForbiddenException("Sign in as a person to accept an invitation.");
            var joined = await accounts.AcceptAsync(UserId(user), user.Identity?.Name ?? "", request.Token, ct)
                ?? throw DomainValidationException.For("token", "The invitation is not valid: it is unknown, used or expired.");
            return TypedResults.Ok(new { workspaceId = joined });
        }).WithTags("Workspaces");
    }

    /// <summary>The caller's standing in workspace <paramref name="id"/>: 404 when not a member, 403 when the role is too weak.</summary>
    private static async Task<WorkspaceContext> RequireAsync(WorkspaceResolver resolver, ClaimsPrincipal user, Guid id, Permission permission, CancellationToken ct)
    {
        var ws = new WorkspaceContext();
        if (!await resolver.ResolveAsync(user, id, ws, ct)) throw new NotFoundException("Workspace", id);
        if (!ws.Can(permission)) throw new ForbiddenException(PermissionFilter.Denied(ws, permission));
        return ws;
    }

    private static DomainValidationException IdentityErrors(string field, IdentityResult result)
    {
        var errors = new ValidationErrors();
        foreach (var e in result.Errors) errors.Add(field, e.Description);
        return new DomainValidationException(errors);
    }

    private static string UserId(ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new ForbiddenException("Sign in first.");
}
