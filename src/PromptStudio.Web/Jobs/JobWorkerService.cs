using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Data;

namespace PromptStudio.Web.Jobs;

/// <summary>
/// A thin adapter: on start it puts back the work a previous process left (queued jobs in creation order,
/// running jobs it owned), then runs <see cref="JobsOptions.MaxConcurrentJobs"/> loops over the queue. A job's
/// failure is the job's; nothing a job does stops a loop or the host. On PostgreSQL other nodes share the jobs,
/// so a poller also offers this node's free loops the queued jobs and the running jobs nobody holds.
/// </summary>
public sealed class JobWorkerService(
    IDbContextFactory<StudioDbContext> dbFactory,
    JobQueue queue,
    RunningJobs running,
    JobRunner runner,
    IOptions<JobsOptions> options,
    TimeProvider time,
    ILogger<JobWorkerService> logger) : BackgroundService
{
    private int Workers => Math.Max(1, options.Value.MaxConcurrentJobs);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        bool multiNode;
        await using (var db = await dbFactory.CreateDbContextAsync(stoppingToken)) multiNode = db.Database.IsNpgsql();
        await (multiNode ? RecoverSharedAsync(stoppingToken) : RecoverAsync(stoppingToken));
        var loops = Enumerable.Range(0, Workers).Select(_ => LoopAsync(stoppingToken)).ToList();
        if (multiNode) loops.Add(PollAsync(stoppingToken));
        // Graceful shutdown (SIGTERM): the stopping token ends the loops and the poller, so nothing new is claimed,
        // and trips every running job's token, whose runner checkpoints and releases the lease (JobRunner.StopAsync).
        await Task.WhenAll(loops);
    }

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var jobId in queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await runner.RunAsync(jobId, stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(e, "Worker loop caught an error from job {JobId}", jobId);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// After a crash or restart: jobs left running by this single node lost their owner with the process, so
    /// their leases are released and they resume from their last checkpoint; queued jobs keep their order.
    /// </summary>
    private async Task RecoverAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Queued ones too: a claim that died before the job's first checkpoint left it queued with an owner.
        await db.Jobs.Where(j => (j.Status == JobStatus.Running || j.Status == JobStatus.Queued) && j.LeaseOwner != null)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseOwner, (string?)null).SetProperty(j => j.LeaseExpiresAt, (DateTime?)null), ct);
        var pending = await db.Jobs.AsNoTracking()
            .Where(j => j.Status == JobStatus.Running || j.Status == JobStatus.Queued)
            .OrderBy(j => j.Status == JobStatus.Running ? 0 : 1).ThenBy(j => j.CreatedAt)
            .Select(j => j.Id).ToListAsync(ct);
        foreach (var id in pending) queue.Enqueue(id);
        if (pending.Count > 0) logger.LogInformation("Re-enqueued {Count} unfinished jobs", pending.Count);
    }

    /// <summary>
    /// After a restart on a shared database: other nodes' leases are alive and stay theirs. Only leases recorded
    /// under this node's own name (a restart with a fixed <see cref="JobsOptions.NodeId"/>) are released at once;
    /// everything else is taken over by the poller when its lease expires.
    /// </summary>
    private async Task RecoverSharedAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var node = options.Value.NodeId;
        await db.Jobs.Where(j => (j.Status == JobStatus.Running || j.Status == JobStatus.Queued) && j.LeaseOwner == node)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseOwner, (string?)null).SetProperty(j => j.LeaseExpiresAt, (DateTime?)null), ct);
    }

    /// <summary>
    /// Offers free worker loops the jobs that need an owner: running ones whose owner let go or stopped renewing
    /// (oldest first, they were promised progress), then queued ones in creation order. It only enqueues ids; the
    /// claim decides, so an id another node took first is a no-op here.
    /// </summary>
    private async Task PollAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PollInterval, time);
        do
        {
            try
            {
                var free = Workers - running.Count - queue.Count;
                if (free <= 0) continue;
                var now = time.GetUtcNow().UtcDateTime;
                await using var db = await dbFactory.CreateDbContextAsync(stoppingToken);
                var ids = await db.Jobs.AsNoTracking()
                    .Where(j => (j.Status == JobStatus.Queued || j.Status == JobStatus.Running) && (j.LeaseOwner == null || j.LeaseExpiresAt < now))
                    .OrderBy(j => j.Status == JobStatus.Running ? 0 : 1).ThenBy(j => j.CreatedAt)
                    .Select(j => j.Id).Take(free).ToListAsync(stoppingToken);
                foreach (var id in ids.Where(id => !running.Contains(id))) queue.Enqueue(id);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The database may be briefly unreachable; the next tick tries again.
                logger.LogWarning(e, "Polling for unowned jobs failed");
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
