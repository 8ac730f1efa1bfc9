using Microsoft.EntityFrameworkCore;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Api;
using PromptStudio.Web.Auth;
using PromptStudio.Web.Data;

namespace PromptStudio.Web.Workspaces;

/// <summary>
/// A workspace's usage, limit, members and invitations, for the API and the settings page. Every method takes
/// the caller's resolved context for that workspace and checks the permission it needs.
/// </summary>
public sealed class WorkspaceService(IDbContextFactory<StudioDbContext> dbFactory, AccountService accounts, AuditLog audit)
{
    public async Task<WorkspaceDto> GetAsync(WorkspaceContext ws, CancellationToken ct)
    {
        Require(ws, Permission.Read);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Workspaces.AsNoTracking().FirstAsync(w => w.Id == ws.WorkspaceId, ct);
        return ToDto(row, ws.Role, await db.Members.CountAsync(m => m.WorkspaceId == ws.WorkspaceId, ct));
    }

    public async Task<WorkspaceDto> SetLimitAsync(WorkspaceContext ws, int? limit, CancellationToken ct)
    {
        Require(ws, Permission.Admin);
        if (limit is not (>= 0 and <= 100_000_000)) throw DomainValidationException.For("iterationLimit", "iterationLimit must be a whole number between 0 and 100000000.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Workspaces.FirstAsync(w => w.Id == ws.WorkspaceId, ct);
        var before = row.IterationLimit;
        row.IterationLimit = limit.Value;
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(ws.WorkspaceId, ws.UserName, "limit.changed", $"workspace {ws.WorkspaceId}", $"{before} → {row.IterationLimit}", ct);
        return ToDto(row, ws.Role, await db.Members.CountAsync(m => m.WorkspaceId == ws.WorkspaceId, ct));
    }

    public async Task<IReadOnlyList<MemberDto>> MembersAsync(WorkspaceContext ws, CancellationToken ct)
    {
        Require(ws, Permission.Read);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var members = await db.Members.AsNoTracking().Where(m => m.WorkspaceId == ws.WorkspaceId)
            .Join(db.Users, m => m.UserId, u => u.Id, (m, u) => new { m, u.UserName })
            .OrderBy(x => x.m.JoinedAt).ToListAsync(ct);
        return members.Select(x => new MemberDto(x.m.UserId, x.UserName ?? x.m.UserId, x.m.Role.ToWire(), Jobs.JobMapping.AsOffset(x.m.JoinedAt))).ToList();
    }

    public async Task ChangeRoleAsync(WorkspaceContext ws, string userId, string? role, CancellationToken ct)
    {
        Require(ws, Permission.Admin);
        var newRole = ParseRole(role, ws);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var member = await db.Members.FirstOrDefaultAsync(m => m.WorkspaceId == ws.WorkspaceId && m.UserId == userId, ct) ?? throw new NotFoundException("Member", userId);
        if (member.Role == WorkspaceRole.Owner) throw new ForbiddenException("The owner's role changes only by transferring the workspace.");
        member.Role = newRole;
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(ws.WorkspaceId, ws.UserName, "member.role_changed", userId, newRole.ToWire(), ct);
    }

    public async Task RemoveMemberAsync(WorkspaceContext ws, string userId, CancellationToken ct)
    {
        Require(ws, Permission.Admin);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var member = await db.Members.FirstOrDefaultAsync(m => m.WorkspaceId == ws.WorkspaceId && m.UserId == userId, ct) ?? throw new NotFoundException("Member", userId);
        if (member.Role == WorkspaceRole.Owner) throw new ForbiddenException("The owner cannot be removed; transfer the workspace first.");
        db.Members.Remove(member);
        // Their keys stop working with them.
        await db.ApiKeys.Where(k => k.WorkspaceId == ws.WorkspaceId && k.UserId == userId).ExecuteDeleteAsync(ct);
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(ws.WorkspaceId, ws.UserName, "member.removed", userId, null, ct);
    }

    public async Task<IReadOnlyList<InvitationDto>> InvitationsAsync(WorkspaceContext ws, CancellationToken ct)
    {
        Require(ws, Permission.Admin);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Invitations.AsNoTracking().Where(i => i.WorkspaceId == ws.WorkspaceId).OrderByDescending(i => i.CreatedAt).ToListAsync(ct);
        return rows.Select(i => new InvitationDto(i.Id, i.Role.ToWire(), i.Email, i.CreatedBy, Jobs.JobMapping.AsOffset(i.CreatedAt),
            Jobs.JobMapping.AsOffset(i.ExpiresAt), i.AcceptedAt is { } a ? Jobs.JobMapping.AsOffset(a) : null, i.AcceptedBy)).ToList();
    }

    /// <summary>Creates an invitation; the returned token (and link) is shown once.</summary>
    public async Task<CreatedInvitationDto> InviteAsync(WorkspaceContext ws, string? role, string? email, string baseUrl, CancellationToken ct)
    {
        Require(ws, Permission.Admin);
        var invitedRole = ParseRole(role, ws);
        var (invitation, token) = await accounts.InviteAsync(ws.WorkspaceId, invitedRole, string.IsNullOrWhiteSpace(email) ? null : email.Trim(), ws.UserName, ct);
        await audit.WriteAsync(ws.WorkspaceId, ws.UserName, "invitation.created", invitation.Email ?? "(link)", invitedRole.ToWire(), ct);
        return new CreatedInvitationDto(invitation.Id, invitedRole.ToWire(), token, $"{baseUrl.TrimEnd('/')}/account/register?invitation={token}",
            Jobs.JobMapping.AsOffset(invitation.ExpiresAt));
    }

    public static WorkspaceRole ParseRole(string? value, WorkspaceContext ws)
    {
        if (!WorkspaceRoles.TryParse(value, out var role) || role == WorkspaceRole.Owner)
            throw DomainValidationException.For("role", $"role must be one of viewer, member, admin (got '{value}'); ownership moves by transfer.");
        if (role > ws.Role) throw new ForbiddenException($"You cannot grant a role above your own ('{ws.Role.ToWire()}').");
        return role;
    }

    public static void Require(WorkspaceContext ws, Permission permission)
    {
        if (!ws.Can(permission)) throw new ForbiddenException(PermissionFilter.Denied(ws, permission));
    }

    public static WorkspaceDto ToDto(Workspace w, WorkspaceRole role, int members) =>
        new(w.Id, w.Name, role.ToWire(), w.IterationsUsed, w.IterationLimit, members, Jobs.JobMapping.AsOffset(w.CreatedAt));
}
