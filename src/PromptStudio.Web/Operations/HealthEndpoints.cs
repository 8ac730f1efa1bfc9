using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PromptStudio.Web.Data;

namespace PromptStudio.Web.Operations;

/// <summary>
/// <c>/health/live</c> says the process answers (a load balancer restarts it otherwise); <c>/health/ready</c>
/// says it can serve: the database answers (503 otherwise) and, when configured, Redis does (200 "Degraded"
/// otherwise: the node serves on without it). Both are anonymous so probes need no credentials; they reveal only
/// the overall status.
/// </summary>
public static class HealthEndpoints
{
    public const string Ready = "ready";

    public static IHealthChecksBuilder AddStudioHealthChecks(this IServiceCollection services) =>
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [Ready]);

    public static void MapStudioHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Ready) }).AllowAnonymous();
    }

    private sealed class DatabaseHealthCheck(IDbContextFactory<StudioDbContext> dbFactory) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            return await db.Database.CanConnectAsync(cancellationToken)
                ? HealthCheckResult.Healthy()
                : new HealthCheckResult(context.Registration.FailureStatus, "The database does not answer.");
        }
    }
}
