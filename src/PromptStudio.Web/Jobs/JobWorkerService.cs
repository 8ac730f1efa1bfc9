using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Data;

namespace PromptStudio.Web.Jobs;

/// <summary>
/// A thin adapter: on start it puts back the work a previous process left (queued jobs in creation order,
/// running jobs it owned), then runs <see cref="JobsOptions.MaxConcurrentJobs"/> loops over the queue. A job's
/// failure is the job's; nothing a job does stops a loop or the host.
/// </summary>
public sealed class JobWorkerService(
    IDbContextFactory<StudioDbContext> dbFactory,
    JobQueue queue,
    JobRunner runner,
    IOptions<JobsOptions> options,
    ILogger<JobWorkerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await RecoverAsync(stoppingToken);
        var loops = Enumerable.Range(0, Math.Max(1, options.Value.MaxConcurrentJobs)).Select(_ => LoopAsync(stoppingToken));
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
        await db.Jobs.Where(j => j.Status == JobStatus.Running && j.LeaseOwner != null)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseOwner, (string?)null).SetProperty(j => j.LeaseExpiresAt, (DateTime?)null), ct);
        var pending = await db.Jobs.AsNoTracking()
            .Where(j => j.Status == JobStatus.Running || j.Status == JobStatus.Queued)
            .OrderBy(j => j.Status == JobStatus.Running ? 0 : 1).ThenBy(j => j.CreatedAt)
            .Select(j => j.Id).ToListAsync(ct);
        foreach (var id in pending) queue.Enqueue(id);
        if (pending.Count > 0) logger.LogInformation("Re-enqueued {Count} unfinished jobs", pending.Count);
    }
}
