using Microsoft.EntityFrameworkCore;
using PromptStudio.Core.Llm;
using PromptStudio.Web.Data;

namespace PromptStudio.Web.Providers;

/// <summary>The LLM answer cache as a table of the studio database, so it survives restarts with the jobs it serves.</summary>
public sealed class DbLlmResponseCache(IDbContextFactory<StudioDbContext> dbFactory, TimeProvider time) : ILlmResponseCache
{
    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.LlmCache.AsNoTracking().Where(c => c.Key == key).Select(c => c.ResponseJson).FirstOrDefaultAsync(cancellationToken);
    }

    public async Task SetAsync(string key, string model, string responseJson, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        // Two jobs may ask the same question at once; the first answer stored wins (SQLite and PostgreSQL both speak this).
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"INSERT INTO LlmCache (Key, Model, ResponseJson, CreatedAt) VALUES ({key}, {model}, {responseJson}, {now}) ON CONFLICT DO NOTHING",
            cancellationToken);
    }
}
