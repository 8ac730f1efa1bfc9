using Microsoft.EntityFrameworkCore;
using PromptStudio.Web.Data;

namespace PromptStudio.Web.Auth;

/// <summary>Appends who did what: job starts and controls, provider, member and key changes.</summary>
public sealed class AuditLog(IDbContextFactory<StudioDbContext> dbFactory, TimeProvider time)
{
    public async Task WriteAsync(Guid workspaceId, string actor, string action, string target, string? details = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.AuditEntries.Add(new AuditEntry
        {
            WorkspaceId = workspaceId,
            Actor = actor,
            Action = action,
            Target = target,
            Details = details,
            At = time.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(ct);
    }

    public async Task<IReadOnlyList<AuditEntry>> ReadAsync(Guid workspaceId, int limit, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.AuditEntries.AsNoTracking().Where(a => a.WorkspaceId == workspaceId)
            .OrderByDescending(a => a.Id).Take(limit).ToListAsync(ct);
    }
}
