using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using PromptStudio.Core.Llm;
using PromptStudio.Web.Data;
using PromptStudio.Web.Providers;
using PromptStudio.Web.Tests.Infrastructure;

namespace PromptStudio.Web.Tests.Providers;

[Trait(Suites.Trait, Suites.Engine)]
public sealed class ResponseCacheTests
{
    [Fact]
    public async Task AStoredAnswer_ReachesTheDatabase_WithAUtcTimestamp_AndAnotherCacheInstanceReadsIt()
    {
        await using var app = new StudioFactory();
        var db = app.Service<IDbContextFactory<StudioDbContext>>();
        var before = DateTime.UtcNow.AddSeconds(-1);
        var cache = (DbLlmResponseCache)app.Service<ILlmResponseCache>();

        await cache.SetAsync("key-1", "m", """{"text":"Paris"}""", TestContext.Current.CancellationToken);
        await cache.FlushAsync();

        // A fresh instance has nothing pending in memory: what it reads came from the table.
        await using var fresh = new DbLlmResponseCache(db, TimeProvider.System, NullLogger<DbLlmResponseCache>.Instance);
        Assert.Equal("""{"text":"Paris"}""", await fresh.GetAsync("key-1", TestContext.Current.CancellationToken));
        await using var context = await db.CreateDbContextAsync(TestContext.Current.CancellationToken);
        var row = await context.LlmCache.SingleAsync(TestContext.Current.CancellationToken);
        Assert.Equal(DateTimeKind.Utc, row.CreatedAt.Kind);
        Assert.InRange(row.CreatedAt, before, DateTime.UtcNow.AddSeconds(1));
    }
}
