using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Data;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Tests.Infrastructure;

namespace PromptStudio.Web.Tests.Jobs;

/// <summary>
/// The claim on SQLite (one node, several worker loops): a compare-and-set on the lease version, so however many
/// loops read the same id at once, exactly one of them owns each lease epoch.
/// </summary>
public sealed class ClaimTests : IAsyncLifetime
{
    private const int Claimers = 8;
    private readonly StudioFactory _factory = new();

    public async ValueTask InitializeAsync() => await _factory.CreateOwnerClientAsync();

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task ConcurrentClaims_OfAQueuedJob_LeaveExactlyOneOwnerOfTheNextEpoch()
    {
        for (var round = 0; round < 10; round++)
        {
            var jobId = await AddJobAsync();

            await AssertOneOwnerOfEpochAsync(jobId, await ClaimAllAtOnceAsync(jobId), 1);
        }
    }

    [Fact]
    public async Task ConcurrentClaims_OfARunningJobWhoseLeaseExpired_LeaveExactlyOneOwnerOfTheNextEpoch()
    {
        for (var round = 0; round < 10; round++)
        {
            var jobId = await AddJobAsync();
            await using (var db = await Db().CreateDbContextAsync(TestContext.Current.CancellationToken))
            {
                await db.Jobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(s => s
                    .SetProperty(j => j.Status, JobStatus.Running)
                    .SetProperty(j => j.LeaseOwner, "a-dead-node")
                    .SetProperty(j => j.LeaseExpiresAt, DateTime.UtcNow.AddSeconds(-1))
                    .SetProperty(j => j.LeaseVersion, 4L), TestContext.Current.CancellationToken);
            }

            await AssertOneOwnerOfEpochAsync(jobId, await ClaimAllAtOnceAsync(jobId), 5);
        }
    }

    [Fact]
    public async Task ASecondClaim_OfAQueuedJobWhoseLeaseIsLive_GetsNothing()
    {
        var jobId = await AddJobAsync();

        var first = await Runner("first").ClaimAsync(jobId, TestContext.Current.CancellationToken);
        var second = await Runner("second").ClaimAsync(jobId, TestContext.Current.CancellationToken);

        Assert.NotNull(first);
        Assert.Null(second);
        Assert.Equal(("first", 1L), ((await RowAsync(jobId)).LeaseOwner, (await RowAsync(jobId)).LeaseVersion));
    }

    private async Task AssertOneOwnerOfEpochAsync(Guid jobId, (string Node, OptimizationJob? Job)[] claims, long epoch)
    {
        var winner = Assert.Single(claims, c => c.Job is not null);
        Assert.Equal(epoch, winner.Job!.LeaseVersion);
        var row = await RowAsync(jobId);
        Assert.Equal((winner.Node, epoch), (row.LeaseOwner, row.LeaseVersion));
    }

    private async Task<(string Node, OptimizationJob? Job)[]> ClaimAllAtOnceAsync(Guid jobId)
    {
        var runners = Enumerable.Range(0, Claimers).Select(i => (Node: $"claimer-{i}", Runner: Runner($"claimer-{i}"))).ToList();
        using var start = new ManualResetEventSlim();
        var claims = runners.Select(r => Task.Run(async () =>
        {
            start.Wait();
            return (r.Node, await r.Runner.ClaimAsync(jobId, CancellationToken.None));
        })).ToList();
        start.Set();
        return await Task.WhenAll(claims);
    }

    private JobRunner Runner(string node) => ActivatorUtilities.CreateInstance<JobRunner>(_factory.Services,
        Options.Create(new JobsOptions { NodeId = node, LeaseDuration = TimeSpan.FromSeconds(30) }));

    private IDbContextFactory<StudioDbContext> Db() => _factory.Service<IDbContextFactory<StudioDbContext>>();

    /// <summary>A queued job stored without being put on the channel, so only the test's claimers see it.</summary>
    private async Task<Guid> AddJobAsync()
    {
        await using var db = await Db().CreateDbContextAsync(TestContext.Current.CancellationToken);
        var workspace = await db.Workspaces.Select(w => w.Id).FirstAsync(TestContext.Current.CancellationToken);
        var job = OptimizationJob.Create(workspace, 1, 1, "{}", 1, [], "test", DateTime.UtcNow);
        db.Jobs.Add(job);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return job.Id;
    }

    private async Task<OptimizationJob> RowAsync(Guid jobId)
    {
        await using var db = await Db().CreateDbContextAsync(TestContext.Current.CancellationToken);
        return await db.Jobs.AsNoTracking().FirstAsync(j => j.Id == jobId, TestContext.Current.CancellationToken);
    }
}
