using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using PromptStudio.Web.Auth;
using PromptStudio.Web.Data;

namespace PromptStudio.Web.Workspaces;

/// <summary>
/// Turns an authenticated principal into a <see cref="WorkspaceContext"/>: the API key's workspace for key
/// callers; otherwise the requested workspace (X-Workspace-Id), the user's last one, or their first. A
/// workspace the user is not a member of resolves to nothing, which the API answers as 404.
/// </summary>
public sealed class WorkspaceResolver(IDbContextFactory<StudioDbContext> dbFactory)
{
    public const string WorkspaceHeader = "X-Workspace-Id";

    public async Task<bool> ResolveAsync(ClaimsPrincipal user, Guid? requested, WorkspaceContext target, CancellationToken ct)
    {
        var userId = user.FindFirstValue(ClaimTypes.NameIdentifier);
        if (user.Identity?.IsAuthenticated != true || userId is null) return false;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var memberships = await db.Members.AsNoTracking().Where(m => m.UserId == userId)
            .Join(db.Workspaces, m => m.WorkspaceId, w => w.Id, (m, w) => new { m.WorkspaceId, w.Name, m.Role, m.JoinedAt })
            .OrderBy(m => m.JoinedAt).ToListAsync(ct);
        var all = memberships.Select(m => new WorkspaceMembership(m.WorkspaceId, m.Name, m.Role)).ToList();
        var userName = user.FindFirstValue(ClaimTypes.Name) ?? userId;

        if (ApiKeyClaims.TryRead(user, out var keyId, out var keyWorkspace, out var scope))
        {
            var keyed = all.FirstOrDefault(m => m.WorkspaceId == keyWorkspace);
            if (keyed is null || (requested is { } r && r != keyWorkspace)) return false;
            var max = (Permission)Math.Min((int)keyed.Role, (int)scope);
            target.Set(keyed, userId, userName, max, keyId, [keyed]);
            return true;
        }

        WorkspaceMembership? current;
        if (requested is { } wanted) current = all.FirstOrDefault(m => m.WorkspaceId == wanted);
        else
        {
            var last = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => u.LastWorkspaceId).FirstOrDefaultAsync(ct);
            current = all.FirstOrDefault(m => m.WorkspaceId == last) ?? all.FirstOrDefault();
        }
        if (current is null) return false;
        target.Set(current, userId, userName, (Permission)(int)current.Role, null, all);
        return true;
    }
}
