using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;
using PromptStudio.Client;

namespace PromptStudio.Scale.Tests.Infrastructure;

/// <summary>
/// Nodes sharing one fresh PostgreSQL database and the Redis server. The first node migrates and seeds; the
/// owner signs in on it before the others start, so they load a key ring that already holds the signing key.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    public const string Password = "correct-horse-42";
    private readonly List<Node> _nodes = [];
    private readonly Dictionary<string, string> _settings;
    private string _token = "";

    private Cluster(string database, TimeSpan lease, int workers, string redis, IReadOnlyDictionary<string, string>? settings)
    {
        Database = database;
        _settings = new()
        {
            ["Database:Provider"] = "postgres",
            ["ConnectionStrings:Default"] = database,
            ["ConnectionStrings:Redis"] = redis,
            ["Jobs:LeaseDuration"] = lease.ToString("c"),
            ["Jobs:PollInterval"] = "00:00:00.5",
            ["Jobs:MaxConcurrentJobs"] = workers.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Auth:RequestsPerMinute"] = "1000000",
            ["Auth:DefaultIterationLimit"] = "1000000",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) _settings[key] = value;
    }

    public string Database { get; }
    public IReadOnlyList<Node> Nodes => _nodes;

    /// <param name="redis">A Redis other than the shared one (a test that stops its own server).</param>
    /// <param name="settings">Configuration for every node, over the defaults above.</param>
    public static async Task<Cluster> StartAsync(int nodes = 2, TimeSpan? lease = null, int workers = 2, string? redis = null,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        await Servers.RequireAsync();
        var cluster = new Cluster(await Servers.CreateDatabaseAsync(), lease ?? TimeSpan.FromSeconds(3), workers, redis ?? Servers.Redis, settings);
        try
        {
            await cluster.AddNodeAsync("node-a");
            using (var http = new HttpClient { BaseAddress = cluster._nodes[0].BaseAddress })
            {
                await http.PostAsJsonAsync("api/auth/register", new { email = "owner@test.local", password = Password });
                var login = await http.PostAsJsonAsync("api/auth/login", new { email = "owner@test.local", password = Password });
                login.EnsureSuccessStatusCode();
                cluster._token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
            }
            for (var i = 1; i < nodes; i++) await cluster.AddNodeAsync($"node-{(char)('a' + i)}");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async Task<Node> AddNodeAsync(string name)
    {
        var node = await Node.StartAsync(name, _settings);
        _nodes.Add(node);
        return node;
    }

    /// <summary>The node whose lease the job is under, once a worker has claimed it.</summary>
    public async Task<Node> OwnerAsync(Guid jobId)
    {
        var job = await WaitForJobAsync(jobId, j => j.LeaseOwner is not null, TimeSpan.FromSeconds(30));
        return this[job.LeaseOwner!];
    }

    /// <summary>Starts a node again under the name of one that exited (killed by a test), in its place.</summary>
    public async Task<Node> RestartAsync(Node exited)
    {
        if (!exited.HasExited) throw new InvalidOperationException($"{exited.Name} is still running");
        var node = await Node.StartAsync(exited.Name, _settings);
        _nodes[_nodes.IndexOf(exited)] = node;
        await exited.DisposeAsync();
        return node;
    }

    /// <summary>
    /// Pauses a running job through the node that does not own it, <paramref name="rounds"/> times, resuming it in
    /// between: how long each pause took to be answered as done.
    /// </summary>
    public async Task<List<double>> PauseAcrossNodesAsync(Guid jobId, int rounds)
    {
        var pauses = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            await WaitForJobAsync(jobId, j => j.Status == "running" && j.LeaseOwner is not null, TimeSpan.FromSeconds(30));
            var owner = await OwnerAsync(jobId);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var paused = await ControlAsync(Other(owner), jobId, "pause");
            pauses.Add(clock.Elapsed.TotalMilliseconds);
            if (paused.Status != "paused") throw new InvalidOperationException($"pause answered {paused.Status}\n{Logs()}");
            await ControlAsync(Other(owner), jobId, "resume");
        }
        return pauses;
    }

    public Node this[string name] => _nodes.Single(n => n.Name == name);

    public Node Other(Node node) => _nodes.First(n => n != node && !n.HasExited);

    /// <summary>A client of <paramref name="node"/> signed in as the owner, or with <paramref name="bearer"/> (an API key).</summary>
    public HttpClient Client(Node node, string? bearer = null)
    {
        var http = new HttpClient { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer ?? _token);
        return http;
    }

    /// <summary>Pauses, resumes or cancels a job through <paramref name="node"/>'s API; the answer once the node has carried it out.</summary>
    public async Task<JobDto> ControlAsync(Node node, Guid jobId, string action)
    {
        using var http = Client(node);
        var response = await http.PostAsync($"api/optimization/{jobId}/{action}", null);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{action} on {node.Name}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JobDto>())!;
    }

    public async Task<HubConnection> ConnectHubAsync(Node node)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(node.BaseAddress, "hubs/optimization"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(_token))
            .Build();
        await connection.StartAsync();
        return connection;
    }

    public async Task<JobDto> StartJobAsync(Node node, int maxIterations, int latencyMs, int seed = 7)
    {
        using var http = Client(node);
        var tuning = new Dictionary<string, JsonElement>
        {
            ["seed"] = JsonSerializer.SerializeToElement(seed),
            ["simulatedLatencyMs"] = JsonSerializer.SerializeToElement(latencyMs),
        };
        var response = await http.PostAsJsonAsync("api/optimization",
            new StartOptimizationRequest(1, 1, new OptimizationConfigDto(maxIterations, null, null, null, true, tuning)));
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JobDto>())!;
    }

    /// <summary>The job row as the database holds it: the lease fields are not part of the API.</summary>
    public async Task<JobRow> JobAsync(Guid id)
    {
        await using var connection = new NpgsqlConnection(Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT "Status", "LeaseOwner", "LeaseVersion", "CompletedIterations", "LastEventId", "LlmCalls", "InputTokens", "OutputTokens", "BestScore"
            FROM "Jobs" WHERE "Id" = @id
            """, connection);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) throw new InvalidOperationException($"No job {id}");
        return new JobRow(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2), reader.GetInt32(3),
            reader.GetInt64(4), reader.GetInt32(5), reader.GetInt64(6), reader.GetInt64(7), reader.IsDBNull(8) ? null : reader.GetDouble(8));
    }

    public async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync()) rows.Add(read(reader));
        return rows;
    }

    /// <summary>Sessions of the nodes that sit in an open transaction right now (and keep its row locks).</summary>
    public async Task<long> IdleTransactionsAsync() =>
        (await QueryAsync("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()",
            r => r.GetInt64(0)))[0];

    public async Task<JobRow> WaitForJobAsync(Guid id, Func<JobRow, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var job = await JobAsync(id);
            if (condition(job)) return job;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Job {id}: {job} after {timeout.TotalSeconds:0}s\n{Logs()}");
            await Task.Delay(25);
        }
    }

    public string Logs() => string.Join("\n", _nodes.Select(n => $"--- {n.Name} ---\n{Tail(n.Output)}"));

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        await Servers.DropDatabaseAsync(Database);
    }
}

public sealed record JobRow(string Status, string? LeaseOwner, long LeaseVersion, int CompletedIterations, long LastEventId,
    int LlmCalls, long InputTokens, long OutputTokens, double? BestScore);
