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

    public static IServiceCollection AddStudioDatabase(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = ResolveSqliteConnectionString(configuration.GetConnectionString("Default"));
        services.AddDbContextFactory<StudioDbContext>(o => o.UseSqlite(connectionString));
        return services;
    }

    /// <summary>Applies migrations (never EnsureCreated) and switches the file to write-ahead logging.</summary>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var factory = services.GetRequiredService<IDbContextFactory<StudioDbContext>>();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        // WAL lets the dashboard read while a worker writes; the setting is stored in the file.
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
    }
}

/// <summary>Lets `dotnet ef` build the model without starting the app.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<StudioDbContext>
{
    public StudioDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<StudioDbContext>().UseSqlite("Data Source=design-time.db").Options);
}
