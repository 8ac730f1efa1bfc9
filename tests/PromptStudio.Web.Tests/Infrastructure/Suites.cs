namespace PromptStudio.Web.Tests.Infrastructure;

/// <summary>
/// Traits that pick tests by what they exercise. .ci/run runs the engine and API suites a second time on
/// PostgreSQL: <c>--filter "(Suite=Engine|Suite=Api)&amp;Database!=SqliteOnly"</c>.
/// </summary>
public static class Suites
{
    public const string Trait = "Suite";

    /// <summary>Jobs through the real host: workers, claims, checkpoints, restarts, providers.</summary>
    public const string Engine = "Engine";

    /// <summary>The HTTP API and hub through the real host: auth, workspaces, keys, quotas, health.</summary>
    public const string Api = "Api";

    public const string DatabaseTrait = "Database";

    /// <summary>Tests of SQLite itself (its files and pragmas); left out of the PostgreSQL run.</summary>
    public const string SqliteOnly = "SqliteOnly";
}
