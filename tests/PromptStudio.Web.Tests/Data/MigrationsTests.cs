using Microsoft.EntityFrameworkCore;
using PromptStudio.Web.Data;

namespace PromptStudio.Web.Tests.Data;

/// <summary>
/// Each provider has its own migrations set; a model change without a migration for both fails here (and so in
/// CI). No server is needed: the comparison is between the model and each set's snapshot.
/// </summary>
public sealed class MigrationsTests
{
    [Fact]
    public void SqliteMigrations_MatchTheModel()
    {
        using var db = new DesignTimeFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "The SQLite migrations are behind the model: run dotnet ef migrations add <Name> --context StudioDbContext -o Data/Migrations/Sqlite --namespace PromptStudio.Web.Data.Migrations.Sqlite");
    }

    [Fact]
    public void PostgresMigrations_MatchTheModel()
    {
        using var db = new PostgresDesignTimeFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "The PostgreSQL migrations are behind the model: run dotnet ef migrations add <Name> --context PostgresStudioDbContext -o Data/Migrations/Postgres --namespace PromptStudio.Web.Data.Migrations.Postgres");
    }

    [Fact]
    public void BothProviders_HaveTheSameMigrations()
    {
        using var sqlite = new DesignTimeFactory().CreateDbContext([]);
        using var postgres = new PostgresDesignTimeFactory().CreateDbContext([]);
        // Migration ids differ by their timestamps; the names must pair up, in order.
        static IEnumerable<string> Names(DbContext db) => db.Database.GetMigrations().Select(id => id[(id.IndexOf('_') + 1)..]);
        Assert.Equal(Names(sqlite), Names(postgres));
    }
}
