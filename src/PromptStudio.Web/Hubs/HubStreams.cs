using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using PromptStudio.Client;
using PromptStudio.Web.Data;
using PromptStudio.Web.Jobs;

namespace PromptStudio.Web.Hubs;

/// <summary>
/// One ordered stream per (connection, job). It subscribes to the live bus first and only then replays the
/// stored events after the client's id, so nothing appended in between is lost; live events at or below the
/// last id sent are dropped, and a jump in ids is filled from the store. Each stream sends from one loop,
/// so a client sees ids strictly increasing by one.
/// </summary>
public sealed class HubStreams(
    JobEventBus bus,
    IHubContext<OptimizationHub, IOptimizationClient> hub,
    IDbContextFactory<StudioDbContext> dbFactory,
    ILogger<HubStreams> logger) : IDisposable
{
    private const int ReplayPage = 500;
    private readonly JobEventBus _bus = bus;
    private readonly IHubContext<OptimizationHub, IOptimizationClient> _hub = hub;
    private readonly IDbContextFactory<StudioDbContext> _dbFactory = dbFactory;
    private readonly ILogger<HubStreams> _logger = logger;
    private readonly ConcurrentDictionary<(string Connection, Guid Job), Stream> _streams = new();
    private readonly ConcurrentDictionary<Guid, IDisposable> _workspaceRelays = new();

    public static string WorkspaceGroup(Guid workspaceId) => $"workspace:{workspaceId}";

    public void Subscribe(string connectionId, Guid jobId, long afterEventId)
    {
        var stream = new Stream(this, connectionId, jobId, afterEventId);
        if (_streams.TryRemove((connectionId, jobId), out var previous)) previous.Dispose();
        _streams[(connectionId, jobId)] = stream;
        stream.Start();
    }

    public void Unsubscribe(string connectionId, Guid jobId)
    {
        if (_streams.TryRemove((connectionId, jobId), out var stream)) stream.Dispose();
    }

    public void RemoveConnection(string connectionId)
    {
        foreach (var key in _streams.Keys.Where(k => k.Connection == connectionId))
            Unsubscribe(key.Connection, key.Job);
    }

    /// <summary>Relays a workspace's job snapshots to its hub group, in order, from one pump per workspace.</summary>
    public void EnsureWorkspaceRelay(Guid workspaceId) => _workspaceRelays.GetOrAdd(workspaceId, id =>
    {
        var channel = Channel.CreateUnbounded<JobDto>(new UnboundedChannelOptions { SingleReader = true });
        var subscription = _bus.SubscribeWorkspace(id, job => channel.Writer.TryWrite(job));
        _ = Task.Run(async () =>
        {
            await foreach (var job in channel.Reader.ReadAllAsync())
            {
                try
                {
                    await _hub.Clients.Group(WorkspaceGroup(id)).JobUpdated(job);
                }
                catch (Exception e)
                {
                    _logger.LogWarning(e, "Could not relay job {JobId} to workspace {WorkspaceId}", job.Id, id);
                }
            }
        });
        return new Relay(subscription, channel.Writer);
    });

    public void Dispose()
    {
        foreach (var stream in _streams.Values) stream.Dispose();
        foreach (var relay in _workspaceRelays.Values) relay.Dispose();
    }

    private sealed class Relay(IDisposable subscription, ChannelWriter<JobDto> writer) : IDisposable
    {
        public void Dispose()
        {
            subscription.Dispose();
            writer.TryComplete();
        }
    }

    private sealed class Stream(HubStreams owner, string connectionId, Guid jobId, long afterEventId) : IDisposable
    {
        private readonly Channel<JobEventDto> _live = Channel.CreateUnbounded<JobEventDto>(new UnboundedChannelOptions { SingleReader = true });
        private readonly CancellationTokenSource _stop = new();
        private IDisposable? _subscription;
        private long _lastSent = afterEventId;

        public void Start()
        {
            _subscription = owner._bus.SubscribeJob(jobId, e => _live.Writer.TryWrite(e));
            _ = Task.Run(RunAsync);
        }

        private async Task RunAsync()
        {
            var ct = _stop.Token;
            try
            {
                await CatchUpAsync(long.MaxValue, ct);
                await foreach (var e in _live.Reader.ReadAllAsync(ct))
                {
                    if (e.Id <= _lastSent) continue;
                    if (e.Id > _lastSent + 1) await CatchUpAsync(e.Id - 1, ct);
                    await SendAsync(e, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                owner._logger.LogWarning(e, "Event stream of job {JobId} to {Connection} stopped", jobId, connectionId);
            }
        }

        /// <summary>Sends stored events after the last one sent, up to <paramref name="upTo"/>.</summary>
        private async Task CatchUpAsync(long upTo, CancellationToken ct)
        {
            while (true)
            {
                IReadOnlyList<JobEventDto> page;
                await using (var db = await owner._dbFactory.CreateDbContextAsync(ct))
                    page = await JobService.ReadEventsAsync(db, jobId, _lastSent, ReplayPage, ct);
                foreach (var e in page.TakeWhile(e => e.Id <= upTo)) await SendAsync(e, ct);
                if (page.Count < ReplayPage || _lastSent >= upTo) return;
            }
        }

        private async Task SendAsync(JobEventDto e, CancellationToken ct)
        {
            await owner._hub.Clients.Client(connectionId).JobEvent(e).WaitAsync(ct);
            _lastSent = e.Id;
        }

        public void Dispose()
        {
            _subscription?.Dispose();
            _live.Writer.TryComplete();
            _stop.Cancel();
        }
    }
}
