using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace PromptStudio.Web.Data;

public static class DatabaseSetup
{
    public const string DefaultPath = "data/promptstudio.db";

    /// <summary>
    /// <c>ConnectionStrings:Default</c> is either a file path or a full SQLite connection string.
    /// The folder of the file is created when it is missing.
    /// </summary>
    public static string ResolveSqliteConnectionString(string? configured)
    {
        var builder = string.IsNullOrWhiteSpace(configured) || !configured.Contains('=')
            ? new SqliteConnectionStringBuilder { DataSource = string.IsNullOrWhiteSpace(configured) ? DefaultPath : configured.Trim() }
            : new SqliteConnectionStringBuilder(configured);

        if (builder.DataSource is { Length: > 0 } source && source != ":memory:" && builder.Mode != SqliteOpenMode.Memory)
        {
            var full = Path.GetFullPath(source);
            builder.DataSource = full;
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        }
        builder.Pooling = true;
        return builder.ToString();
    }

    /// <summary><c>Database:Provider</c>: <c>sqlite</c> (the default, one node) or <c>postgres</c> (one or more nodes).</summary>
    public static bool IsPostgres(IConfiguration configuration) =>
        (configuration["Database:Provider"] ?? "sqlite").Trim().ToLowerInvariant() switch
        {
            "sqlite" or "" => false,
            "postgres" or "postgresql" or "npgsql" => true,
            var other => throw new InvalidOperationException($"Database:Provider must be sqlite or postgres, not '{other}'."),
        };

    public static IServiceCollection AddStudioDatabase(this IServiceCollection services, IConfiguration configuration)
    {
        if (IsPostgres(configuration))
        {
            var connectionString = configuration.GetConnectionString("Default")
                ?? throw new InvalidOperationException("Database:Provider is postgres: set ConnectionStrings:Default to an Npgsql connection string.");
            services.AddDbContextFactory<StudioDbContext>(o => o.UseNpgsql(WithStalledTransactionLimit(connectionString, configuration)));
            // Only for migrations and the Data Protection key ring; everything else uses StudioDbContext.
            services.AddScoped<PostgresStudioDbContext>();
        }
        else
        {
            var connectionString = ResolveSqliteConnectionString(configuration.GetConnectionString("Default"));
            services.AddDbContextFactory<StudioDbContext>(o => o.UseSqlite(connectionString));
        }
        return services;
    }

    /// <summary>
    /// A node that stalls inside a transaction (a long GC pause, SIGSTOP, a partition) keeps its row locks while
    /// its connection stays open, and the other nodes' claims (<c>SKIP LOCKED</c>) would pass its jobs over until
    /// it woke, lease or no lease. The server ends a transaction left idle for a lease's length instead: the
    /// app never holds one open across a wait, so only a stalled node ever hits this, and by then it has lost
    /// its lease anyway. A timeout already in the connection string wins.
    /// </summary>
    internal static string WithStalledTransactionLimit(string connectionString, IConfiguration configuration)
    {
        const string setting = "idle_in_transaction_session_timeout";
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (builder.Options?.Contains(setting, StringComparison.Ordinal) == true) return connectionString;
        var lease = configuration.GetSection("Jobs").GetValue("LeaseDuration", new Jobs.JobsOptions().LeaseDuration);
        builder.Options = $"{builder.Options} -c {setting}={Math.Max(1000, (long)lease.TotalMilliseconds)}".Trim();
        return builder.ToString();
    }

    /// <summary>
    /// Applies the provider's migrations (never EnsureCreated). SQLite is switched to write-ahead logging;
    /// on PostgreSQL EF Core takes a migration lock, so nodes starting together migrate once.
    /// </summary>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var factory = services.GetRequiredService<IDbContextFactory<StudioDbContext>>();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (db.Database.IsNpgsql())
        {
            await using var postgres = new PostgresStudioDbContext(services.GetRequiredService<DbContextOptions<StudioDbContext>>());
            await postgres.Database.MigrateAsync(cancellationToken);
            return;
        }
        await db.Database.MigrateAsync(cancellationToken);
        // WAL lets the dashboard read while a worker writes; the setting is stored in the file.
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
    }
}

/// <summary>
/// The PostgreSQL schema. EF Core keeps one migrations set per context type, so this subclass holds the
/// PostgreSQL set (Data/Migrations/Postgres) while StudioDbContext keeps the SQLite one; the model is the same
/// plus the Data Protection key ring, which only multi-node deployments keep in the database.
/// </summary>
public sealed class PostgresStudioDbContext(DbContextOptions<StudioDbContext> options) : StudioDbContext(options), IDataProtectionKeyContext
{
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
}

/// <summary>Lets `dotnet ef --context StudioDbContext` build the SQLite model without starting the app.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<StudioDbContext>
{
    public StudioDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<StudioDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>Lets `dotnet ef --context PostgresStudioDbContext` build the PostgreSQL model; no server is needed to add a migration.</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresStudioDbContext>
{
    public PostgresStudioDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<StudioDbContext>().UseNpgsql("Host=localhost;Database=promptstudio").Options);
}
