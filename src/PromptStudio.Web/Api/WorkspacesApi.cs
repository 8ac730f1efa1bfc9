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
            return TypedResults.Ok(me.Memberships.Select(m => ToDto(rows.First(w => w.Id == m.WorkspaceId), m.Role, counts.GetValueOrDefault(m.WorkspaceId))).ToArray());
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
            return TypedResults.Created($"/api/workspaces/{workspace.Id}", ToDto(workspace, WorkspaceRole.Owner, 1));
        });

        group.MapGet("/{id:guid}", async (Guid id, ClaimsPrincipal user, WorkspaceResolver resolver, IDbContextFactory<StudioDbContext> dbf, CancellationToken ct) =>
        {
            var ws = await RequireAsync(resolver, user, id, Permission.Read, ct);
            await using var db = await dbf.CreateDbContextAsync(ct);
            var row = await db.Workspaces.AsNoTracking().FirstAsync(w => w.Id == id, ct);
            return TypedResults.Ok(ToDto(row, ws.Role, await db.Members.CountAsync(m => m.WorkspaceId == id, ct)));
        });

        group.MapPut("/{id:guid}/limit", async (Guid id, SetLimitRequest request, ClaimsPrincipal user, WorkspaceResolver resolver, IDbContextFactory<StudioDbContext> dbf, AuditLog audit, CancellationToken ct) =>
        {
            var ws = await RequireAsync(resolver, user, id, Permission.Admin, ct);
            if (request.IterationLimit is not (>= 0 and <= 100_000_000)) throw DomainValidationException.For("iterationLimit", "iterationLimit must be a whole number between 0 and 100000000.");
            await using var db = await dbf.CreateDbContextAsync(ct);
            var row = await db.Workspaces.FirstAsync(w => w.Id == id, ct);
            var before = row.IterationLimit;
            row.IterationLimit = request.IterationLimit.Value;
            await db.SaveChangesAsync(ct);
            await audit.WriteAsync(id, ws.UserName, "limit.changed", $"workspace {id}", $"{before} → {row.IterationLimit}", ct);
            return TypedResults.Ok(ToDto(row, ws.Role, await db.Members.CountAsync(m => m.WorkspaceId == id, ct)));
        });

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
        group.MapGet("/{id:guid}/members", async (Guid id, ClaimsPrincipal user, WorkspaceResolver resolver, IDbContextFactory<StudioDbContext> dbf, CancellationToken ct) =>
        {
            await RequireAsync(resolver, user, id, Permission.Read, ct);
            await using var db = await dbf.CreateDbContextAsync(ct);
            var members = await db.Members.AsNoTracking().Where(m => m.WorkspaceId == id)
                .Join(db.Users, m => m.UserId, u => u.Id, (m, u) => new { m, u.UserName })
                .OrderBy(x => x.m.JoinedAt).ToListAsync(ct);
            return TypedResults.Ok(members.Select(x => new MemberDto(x.m.UserId, x.UserName ?? x.m.UserId, x.m.Role.ToWire(), Jobs.JobMapping.AsOffset(x.m.JoinedAt))).ToArray());
        });

        group.MapPost("/{id:guid}/members", async (Guid id, AddMemberRequest request, ClaimsPrincipal user, WorkspaceResolver resolver, UserManager<StudioUser> users, IDbContextFactory<StudioDbContext> dbf, AuditLog audit, TimeProvider time, CancellationToken ct) =>
        {
            var ws = await RequireAsync(resolver, user, id, Permission.Admin, ct);
            var role = ParseRole(request.Role, ws);
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

        group.MapPatch("/{id:guid}/members/{userId}", async (Guid id, string userId, ChangeRoleRequest request, ClaimsPrincipal user, WorkspaceResolver resolver, IDbContextFactory<StudioDbContext> dbf, AuditLog audit, CancellationToken ct) =>
        {
            var ws = await RequireAsync(resolver, user, id, Permission.Admin, ct);
            var role = ParseRole(request.Role, ws);
            await using var db = await dbf.CreateDbContextAsync(ct);
            var member = await db.Members.FirstOrDefaultAsync(m => m.WorkspaceId == id && m.UserId == userId, ct) ?? throw new NotFoundException("Member", userId);
            if (member.Role == WorkspaceRole.Owner) throw new ForbiddenException("The owner's role changes only by transferring the workspace.");
            member.Role = role;
            await db.SaveChangesAsync(ct);
            await audit.WriteAsync(id, ws.UserName, "member.role_changed", userId, role.ToWire(), ct);
            return TypedResults.NoContent();
        });

        group.MapDelete("/{id:guid}/members/{userId}", async (Guid id, string userId, ClaimsPrincipal user, WorkspaceResolver resolver, IDbContextFactory<StudioDbContext> dbf, AuditLog audit, CancellationToken ct) =>
        {
            var ws = await RequireAsync(resolver, user, id, Permission.Admin, ct);
            await using var db = await dbf.CreateDbContextAsync(ct);
            var member = await db.Members.FirstOrDefaultAsync(m => m.WorkspaceId == id && m.UserId == userId, ct) ?? throw new NotFoundException("Member", userId);
            if (member.Role == WorkspaceRole.Owner) throw new ForbiddenException("The owner cannot be removed; transfer the workspace first.");
            db.Members.Remove(member);
            await db.ApiKeys.Where(k => k.WorkspaceId == id && k.UserId == userId).ExecuteDeleteAsync(ct);
            await db.SaveChangesAsync(ct);
            await audit.WriteAsync(id, ws.UserName, "member.removed", userId, null, ct);
            return TypedResults.NoContent();
        });
    }

    private static void MapInvitations(RouteGroupBuilder root, RouteGroupBuilder group)
    {
        group.MapGet("/{id:guid}/invitations", async (Guid id, ClaimsPrincipal user, WorkspaceResolver resolver, IDbContextFactory<StudioDbContext> dbf, CancellationToken ct) =>
        {
            await RequireAsync(resolver, user, id, Permission.Admin, ct);
            await using var db = await dbf.CreateDbContextAsync(ct);
            var rows = await db.Invitations.AsNoTracking().Where(i => i.WorkspaceId == id).OrderByDescending(i => i.CreatedAt).ToListAsync(ct);
            return TypedResults.Ok(rows.Select(i => new InvitationDto(i.Id, i.Role.ToWire(), i.Email, i.CreatedBy, Jobs.JobMapping.AsOffset(i.CreatedAt),
                Jobs.JobMapping.AsOffset(i.ExpiresAt), i.AcceptedAt is { } a ? Jobs.JobMapping.AsOffset(a) : null, i.AcceptedBy)).ToArray());
        });

        group.MapPost("/{id:guid}/invitations", async (Guid id, InviteRequest request, HttpContext http, ClaimsPrincipal user, WorkspaceResolver resolver, AccountService accounts, AuditLog audit, CancellationToken ct) =>
        {
            var ws = await RequireAsync(resolver, user, id, Permission.Admin, ct);
            var role = ParseRole(request.Role, ws);
            var (invitation, token) = await accounts.InviteAsync(id, role, request.Email, ws.UserName, ct);
            await audit.WriteAsync(id, ws.UserName, "invitation.created", request.Email ?? "(link)", role.ToWire(), ct);
            var url = $"{http.Request.Scheme}://{http.Request.Host}/account/register?invitation={token}";
            return TypedResults.Created($"/api/workspaces/{id}/invitations", new CreatedInvitationDto(invitation.Id, role.ToWire(), token, url, Jobs.JobMapping.AsOffset(invitation.ExpiresAt)));
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

    private static WorkspaceRole ParseRole(string? value, WorkspaceContext ws)
    {
        if (!WorkspaceRoles.TryParse(value, out var role) || role == WorkspaceRole.Owner)
            throw DomainValidationException.For("role", $"role must be one of viewer, member, admin (got '{value}'); ownership moves by transfer.");
        if (role > ws.Role) throw new ForbiddenException($"You cannot grant a role above your own ('{ws.Role.ToWire()}').");
        return role;
    }

    private static DomainValidationException IdentityErrors(string field, IdentityResult result)
    {
        var errors = new ValidationErrors();
        foreach (var e in result.Errors) errors.Add(field, e.Description);
        return new DomainValidationException(errors);
    }

    private static string UserId(ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new ForbiddenException("Sign in first.");

    private static WorkspaceDto ToDto(Workspace w, WorkspaceRole role, int members) =>
        new(w.Id, w.Name, role.ToWire(), w.IterationsUsed, w.IterationLimit, members, Jobs.JobMapping.AsOffset(w.CreatedAt));
}
