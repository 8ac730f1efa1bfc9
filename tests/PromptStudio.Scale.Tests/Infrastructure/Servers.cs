using Npgsql;
using StackExchange.Redis;

namespace PromptStudio.Scale.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL and Redis the nodes share: <c>SCALE_POSTGRES</c> (an admin connection string) and
/// <c>SCALE_REDIS</c>, defaulting to the loopback ports .ci/run starts them on. A test without them is skipped.
/// </summary>
public static class Servers
{
    public static string Postgres => Environment.GetEnvironmentVariable("SCALE_POSTGRES") ?? "Host=127.0.0.1;Port=55432;Username=postgres;Timeout=3";
    public static string Redis => Environment.GetEnvironmentVariable("SCALE_REDIS") ?? "127.0.0.1:56379";

    private static readonly Lazy<Task<string?>> Missing = new(FindMissingAsync);

    public static async Task RequireAsync()
    {
        if (await Missing.Value is { } reason) Assert.Skip($"Scale-out tests need PostgreSQL and Redis: {reason}. .ci/run starts both; or set SCALE_POSTGRES / SCALE_REDIS.");
    }

    private static async Task<string?> FindMissingAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(Postgres);
            await connection.OpenAsync();
        }
        catch (Exception e)
        {
            return $"PostgreSQL at '{Postgres}' does not answer ({e.Message})";
        }
        try
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(Redis + ",connectTimeout=3000");
            await redis.GetDatabase().PingAsync();
        }
        catch (Exception e)
        {
            return $"Redis at '{Redis}' does not answer ({e.Message})";
        }
        return null;
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A fresh database for one cluster, so tests never see each other's jobs.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var name = $"promptstudio_scale_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(Postgres) { Database = name, Timeout = 15 }.ToString();
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
