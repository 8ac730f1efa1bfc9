using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace PromptStudio.Web.Tests.Infrastructure;

/// <summary>
/// The database an app under test runs on. By default a SQLite file per app. With <c>PROMPTSTUDIO_TEST_POSTGRES</c>
/// set to a connection string for a PostgreSQL server (no Database; a user that may create databases), every app
/// gets a fresh PostgreSQL database instead: created here, migrated by the app's own start-up like a real node,
/// dropped <c>WITH (FORCE)</c> when its owner is disposed. The tests keep naming databases by SQLite path; on
/// PostgreSQL the path only names the database, so two apps given one path (a restart) share it there too.
/// </summary>
public static partial class TestDatabase
{
    public const string PostgresVariable = "PROMPTSTUDIO_TEST_POSTGRES";

    public static string? PostgresServer { get; } =
        Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } server ? server : null;

    public static bool IsPostgres => PostgresServer is not null;

    /// <summary>The PostgreSQL databases this process created and has not dropped yet.</summary>
    private static readonly ConcurrentDictionary<string, bool> Created = new(StringComparer.Ordinal);

    /// <summary>
    /// The settings that point an app at the database named by <paramref name="sqlitePath"/>; on PostgreSQL the
    /// database is created first if it does not exist yet.
    /// </summary>
    public static IReadOnlyList<(string Key, string Value)> Settings(string sqlitePath)
    {
        if (PostgresServer is not { } server) return [("ConnectionStrings:Default", sqlitePath)];
        var name = PostgresName(sqlitePath);
        try
        {
            using var connection = new NpgsqlConnection(server);
            connection.Open();
            using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
            exists.Parameters.AddWithValue("name", name);
            if (exists.ExecuteScalar() is null)
            {
                using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
                create.ExecuteNonQuery();
            }
            Created[name] = true;
        }
        catch (NpgsqlException e)
        {
            throw new InvalidOperationException($"{PostgresVariable} is set, but database {name} could not be created on '{server}': {e.Message}", e);
        }
        // A longer connect timeout than an admin string's: the test machine's two cores are busy.
        var app = new NpgsqlConnectionStringBuilder(server) { Database = name, Timeout = 15 }.ToString();
        return [("Database:Provider", "postgres"), ("ConnectionStrings:Default", app)];
    }

    /// <summary>Removes the database named by <paramref name="sqlitePath"/> (its files, or the PostgreSQL database).</summary>
    public static void Delete(string sqlitePath)
    {
        if (PostgresServer is not { } server)
        {
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                try { File.Delete(sqlitePath + suffix); } catch (IOException) { }
            }
            return;
        }
        // Nothing to drop when the database was never made (the server did not answer): that error was already raised.
        var name = PostgresName(sqlitePath);
        if (!Created.TryRemove(name, out _)) return;
        using (var connection = new NpgsqlConnection(server))
        {
            connection.Open();
            // FORCE: connections the disposed app's pool still holds would otherwise block the drop.
            using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            drop.ExecuteNonQuery();
        }
        NpgsqlConnection.ClearPool(new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = name, Timeout = 15 }.ToString()));
    }

    /// <summary>A readable, valid and unique database name: the file's name plus a hash of its full path.</summary>
    public static string PostgresName(string sqlitePath)
    {
        var stem = NonWord().Replace(Path.GetFileNameWithoutExtension(sqlitePath).ToLowerInvariant(), "_");
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(sqlitePath))))[..16].ToLowerInvariant();
        return $"pstest_{stem[..Math.Min(stem.Length, 30)]}_{hash}";
    }

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonWord();
}
