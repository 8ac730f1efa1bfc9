using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using PromptStudio.Core.Llm;
using PromptStudio.Web.Data;

namespace PromptStudio.Web.Providers;

public static class ProvidersSetup
{
    /// <summary>
    /// Providers, the LLM pipeline's instance settings (section <c>Providers</c>) and Data Protection, whose key
    /// ring lives in a <c>keys</c> folder beside the SQLite file (or <c>Providers:KeyRingPath</c>): kept with the
    /// data, so a restarted instance can still decrypt the API keys it stored. On PostgreSQL the key ring is a
    /// table, so every node decrypts provider keys, cookies and antiforgery tokens written by any other.
    /// </summary>
    public static IServiceCollection AddProviders(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<LlmPipelineOptions>(configuration.GetSection("Providers"));
        var dataProtection = services.AddDataProtection().SetApplicationName("PromptStudio");
        if (DatabaseSetup.IsPostgres(configuration))
        {
            dataProtection.PersistKeysToDbContext<PostgresStudioDbContext>();
        }
        else
        {
            var keyRing = configuration["Providers:KeyRingPath"] ?? Path.Combine(DataFolder(configuration), "keys");
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(keyRing));
        }
        services.AddSingleton<ILlmResponseCache, DbLlmResponseCache>();
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>, MiniLmEmbeddingGenerator>();
        services.AddSingleton<ProviderRegistry>();
        services.AddSingleton<ProviderService>();
        return services;
    }

    private static string DataFolder(IConfiguration configuration)
    {
        var source = new SqliteConnectionStringBuilder(DatabaseSetup.ResolveSqliteConnectionString(configuration.GetConnectionString("Default"))).DataSource;
        return source is { Length: > 0 } && source != ":memory:" ? Path.GetDirectoryName(source)! : Path.GetFullPath(Path.GetDirectoryName(DatabaseSetup.DefaultPath)!);
    }
}
