using System.Collections.Concurrent;
using System.Data.Common;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using PromptStudio.Core.Llm;
using PromptStudio.Web.Data;

namespace PromptStudio.Web.Providers;

/// <summary>
/// The LLM answer cache as a table of the studio database, so it survives restarts with the jobs it serves.
/// Answers are written behind the calls, in batches by one writer: a call never waits for a commit, and
/// many parallel calls cost one transaction instead of one each. Until its batch is committed an answer is
/// served from memory, so a pause and resume in this process re-sends nothing.
/// </summary>
public sealed class DbLlmResponseCache(IDbContextFactory<StudioDbContext> dbFactory, TimeProvider time, ILogger<DbLlmResponseCache> logger)
    : ILlmResponseCache, IAsyncDisposable
{
    private const int MaxBatch = 500;

    /// <summary>How long the writer waits after the first answer of a batch for others to join it.</summary>
    internal static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(200);
    private readonly ConcurrentDictionary<string, LlmCacheEntry> _pending = new(StringComparer.Ordinal);
    private readonly Channel<LlmCacheEntry> _queue = Channel.CreateUnbounded<LlmCacheEntry>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _lock = new();
    private Task? _writer;
    private (DbProviderFactory, string)? _connection;
    private readonly ConcurrentBag<Reader> _readers = [];
    private readonly CancellationTokenSource _closing = new();

    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        if (_pending.TryGetValue(key, out var pending)) return pending.ResponseJson;
        // Plain ADO.NET on the context's own provider, with open connections and prepared lookups kept for
        // reuse: this runs once per LLM call, and a context per lookup costs far more than the lookup.
        var reader = _readers.TryTake(out var idle) ? idle : await OpenReaderAsync(cancellationToken);
        try
        {
            reader.Key.Value = key;
            var json = await reader.Command.ExecuteScalarAsync(cancellationToken) as string;
            _readers.Add(reader);
            return json;
        }
        catch
        {
            await reader.Connection.DisposeAsync();
            throw;
        }
    }

    private async Task<Reader> OpenReaderAsync(CancellationToken ct)
    {
        var (factory, connectionString) = await ConnectionAsync(ct);
        var connection = factory.CreateConnection()!;
        connection.ConnectionString = connectionString;
        await connection.OpenAsync(ct);
        var command = connection.CreateCommand();
        command.CommandText = "SELECT \"ResponseJson\" FROM \"LlmCache\" WHERE \"Key\" = @key";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@key";
        parameter.Value = "";
        command.Parameters.Add(parameter);
        await command.PrepareAsync(ct);
        return new Reader(connection, command, parameter);
    }

    private sealed record Reader(DbConnection Connection, DbCommand Command, DbParameter Key);

    private async ValueTask<(DbProviderFactory Factory, string ConnectionString)> ConnectionAsync(CancellationToken ct)
    {
        if (_connection is { } known) return known;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var connection = db.Database.GetDbConnection();
        return (_connection = (DbProviderFactories.GetFactory(connection)!, db.Database.GetConnectionString()!)).Value;
    }

    public Task SetAsync(string key, string model, string responseJson, CancellationToken cancellationToken)
    {
        var entry = new LlmCacheEntry { Key = key, Model = model, ResponseJson = responseJson, CreatedAt = time.GetUtcNow().UtcDateTime };
        if (_pending.TryAdd(key, entry)) _queue.Writer.TryWrite(entry);
        lock (_lock) _writer ??= Task.Run(WriteLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Durability point: answers reach the database one batch after they arrive, at most <see cref="Linger"/>
    /// plus one commit later. A crash loses at most the answers of that moment, whose calls are then paid for
    /// again; nothing else depends on them.
    /// </summary>
    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<LlmCacheEntry>(MaxBatch);
        while (await reader.WaitToReadAsync())
        {
            // Let a batch gather for a moment: with few calls in flight answers come one at a time, and a wake-up
            // and a commit per answer cost more CPU than the rest of the call (measured by bench/PromptStudio.Bench).
            // Real time, not the injected clock: this is about CPU, and a test clock must not hold answers back.
            await Task.Delay(Linger, _closing.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            while (batch.Count < MaxBatch && reader.TryRead(out var entry)) batch.Add(entry);
            try
            {
                await WriteAsync(batch);
            }
            catch (Exception ex) when (ex is InvalidOperationException or DbException)
            {
                logger.LogWarning(ex, "Could not store {Count} LLM answers in the cache; those calls will be paid again if repeated", batch.Count);
            }
            foreach (var e in batch) _pending.TryRemove(e.Key, out _);
            batch.Clear();
        }
    }

    /// <summary>One transaction and one prepared statement for the whole batch.</summary>
    private async Task WriteAsync(IReadOnlyList<LlmCacheEntry> batch)
    {
        var (factory, connectionString) = await ConnectionAsync(CancellationToken.None);
        await using var connection = factory.CreateConnection()!;
        connection.ConnectionString = connectionString;
        await connection.OpenAsync();
        if (connection.GetType().Name == "SqliteConnection")
        {
            // WAL with synchronous=NORMAL: a commit survives a process crash without waiting for the disk;
            // only a power loss may drop the last batches, which are then paid for again.
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous=NORMAL";
            await pragma.ExecuteNonQueryAsync();
        }
        await using var transaction = await connection.BeginTransactionAsync();
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        // Two processes may store the same answer; the first one stored wins (SQLite and PostgreSQL both speak this).
        command.CommandText = "INSERT INTO \"LlmCache\" (\"Key\", \"Model\", \"ResponseJson\", \"CreatedAt\") VALUES (@key, @model, @json, @created) ON CONFLICT DO NOTHING";
        var parameters = new[] { "@key", "@model", "@json", "@created" }.Select(name =>
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            command.Parameters.Add(p);
            return p;
        }).ToArray();
        foreach (var e in batch)
        {
            parameters[0].Value = e.Key;
            parameters[1].Value = e.Model;
            parameters[2].Value = e.ResponseJson;
            // A UTC DateTime, not text: PostgreSQL refuses text for a timestamptz column (which made every batch fail
            // there), and Microsoft.Data.Sqlite writes a DateTime in the text format EF Core's SQLite provider reads back.
            parameters[3].Value = e.CreatedAt;
            await command.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
    }

    /// <summary>Waits until every answer handed over so far is committed (tests, and shutdown).</summary>
    public async Task FlushAsync()
    {
        while (!_pending.IsEmpty) await Task.Delay(10);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _closing.CancelAsync();
        Task? writer;
        lock (_lock) writer = _writer;
        if (writer is not null) await writer;
        while (_readers.TryTake(out var reader)) await reader.Connection.DisposeAsync();
        _closing.Dispose();
    }
}
