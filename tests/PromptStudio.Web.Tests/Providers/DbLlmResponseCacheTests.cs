using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using PromptStudio.Web.Data;
using PromptStudio.Web.Providers;
using Xunit;

namespace PromptStudio.Web.Tests.Providers;

public sealed class DbLlmResponseCacheTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "promptstudio-tests", Guid.NewGuid().ToString("N"));
    private ServiceProvider _services = null!;

    private IDbContextFactory<StudioDbContext> Db => _services.GetRequiredService<IDbContextFactory<StudioDbContext>>();

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Default"] = Path.Combine(_dir, "cache.db") })
            .Build();
        _services = new ServiceCollection().AddStudioDatabase(configuration).BuildServiceProvider();
        await DatabaseSetup.MigrateAsync(_services, Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private DbLlmResponseCache NewCache() => new(Db, TimeProvider.System, NullLogger<DbLlmResponseCache>.Instance);

    [Fact]
    public async Task Answers_AreServedBeforeTheirBatchIsCommitted_AndFoundAgainByTheNextProcess()
    {
        await using (var cache = NewCache())
        {
            for (var i = 0; i < 100; i++) await cache.SetAsync($"key-{i}", "m", $$"""{"i":{{i}}}""", Ct);

            Assert.Equal("""{"i":7}""", await cache.GetAsync("key-7", Ct));
            Assert.Null(await cache.GetAsync("key-100", Ct));
        }

        // Disposing writes what was still pending; a new cache (a restarted process) reads it from the table.
        await using var again = NewCache();
        for (var i = 0; i < 100; i++) Assert.Equal($$"""{"i":{{i}}}""", await again.GetAsync($"key-{i}", Ct));
        await using var db = await Db.CreateDbContextAsync(Ct);
        Assert.Equal(100, await db.LlmCache.CountAsync(Ct));
    }

    [Fact]
    public async Task FlushAsync_ReturnsOnceEveryAnswerIsInTheTable()
    {
        await using var cache = NewCache();
        await cache.SetAsync("a", "m", "{}", Ct);
        await cache.SetAsync("b", "m", "{}", Ct);

        await cache.FlushAsync();

        await using var db = await Db.CreateDbContextAsync(Ct);
        Assert.Equal(["a", "b"], await db.LlmCache.Select(e => e.Key).OrderBy(k => k).ToListAsync(Ct));
    }
}
