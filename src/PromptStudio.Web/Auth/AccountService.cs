using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PromptStudio.Web.Data;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Auth;

/// <summary>
/// Who may register and where they land: the first account on an instance owns the default (demo)
/// workspace; later accounts need an invitation unless <see cref="AuthOptions.OpenRegistration"/>, in which
/// case each gets a workspace of their own.
/// </summary>
public sealed class AccountService(IDbContextFactory<StudioDbContext> dbFactory, IOptions<AuthOptions> options, TimeProvider time)
{
    public static readonly TimeSpan InvitationLifetime = TimeSpan.FromDays(7);

    /// <summary>Null when registration may go ahead; otherwise the reason it may not.</summary>
    public async Task<string?> CheckRegistrationAsync(string? invitationToken, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Users.AnyAsync(ct)) return null;
        if (!string.IsNullOrWhiteSpace(invitationToken))
            return await FindInvitationAsync(db, invitationToken, ct) is null ? "The invitation is not valid: it is unknown, used or expired." : null;
        return options.Value.OpenRegistration ? null : "Registration is by invitation: ask a workspace admin for an invitation link.";
    }

    /// <summary>Gives a newly registered user their first membership.</summary>
    public async Task OnRegisteredAsync(string userId, string userName, string? invitationToken, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        if (!await db.Members.AnyAsync(ct))
        {
            db.Members.Add(new WorkspaceMember { WorkspaceId = DefaultWorkspace.Id, UserId = userId, Role = WorkspaceRole.Owner, JoinedAt = now });
        }
        else if (!string.IsNullOrWhiteSpace(invitationToken) && await FindInvitationAsync(db, invitationToken, ct) is { } invitation)
        {
            invitation.AcceptedAt = now;
            invitation.AcceptedBy = userName;
            db.Members.Add(new WorkspaceMember { WorkspaceId = invitation.WorkspaceId, UserId = userId, Role = invitation.Role, JoinedAt = now });
        }
        else
        {
            var workspace = NewWorkspace($"{userName}'s workspace", now);
            db.Workspaces.Add(workspace);
            db.Members.Add(new WorkspaceMember { WorkspaceId = workspace.Id, UserId = userId, Role = WorkspaceRole.Owner, JoinedAt = now });
        }
        await db.SaveChangesAsync(ct);
    }

    public Workspace NewWorkspace(string name, DateTime now) =>
        new() { Id = Guid.CreateVersion7(), Name = name, CreatedAt = now, IterationLimit = options.Value.DefaultIterationLimit };

    /// <summary>Creates an invitation; the token is returned once and only its hash is kept.</summary>
    public async Task<(Invitation Invitation, string Token)> InviteAsync(Guid workspaceId, WorkspaceRole role, string? email, string createdBy, CancellationToken ct)
    {
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        var now = time.GetUtcNow().UtcDateTime;
        var invitation = new Invitation
        {
            Id = Guid.CreateVersion7(),
            WorkspaceId = workspaceId,
            TokenHash = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)),
            Email = email,
            Role = role,
            CreatedBy = createdBy,
            CreatedAt = now,
            ExpiresAt = now + InvitationLifetime,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Invitations.Add(invitation);
        await db.SaveChangesAsync(ct);
        return (invitation, token);
    }

    /// <summary>An existing user joins the invitation's workspace; null when the token is not valid.</summary>
    public async Task<Guid?> AcceptAsync(string userId, string userName, string? token, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(token)) return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var invitation = await FindInvitationAsync(db, token, ct);
        if (invitation is null) return null;
        invitation.AcceptedAt = time.GetUtcNow().UtcDateTime;
        invitation.AcceptedBy = userName;
        if (!await db.Members.AnyAsync(m => m.WorkspaceId == invitation.WorkspaceId && m.UserId == userId, ct))
            db.Members.Add(new WorkspaceMember { WorkspaceId = invitation.WorkspaceId, UserId = userId, Role = invitation.Role, JoinedAt = invitation.AcceptedAt.Value });
        await db.SaveChangesAsync(ct);
        return invitation.WorkspaceId;
    }

    private async Task<Invitation?> FindInvitationAsync(StudioDbContext db, string token, CancellationToken ct)
    {
        var hash = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token.Trim()));
        var now = time.GetUtcNow().UtcDateTime;
        return await db.Invitations.FirstOrDefaultAsync(i => i.TokenHash == hash && i.AcceptedAt == null && i.ExpiresAt > now, ct);
    }
}
