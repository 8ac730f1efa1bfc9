using Microsoft.AspNetCore.Http.HttpResults;
using PromptStudio.Client;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Api;

public static class OptimizationApi
{
    public static RouteGroupBuilder MapOptimizationApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/optimization").WithTags("Optimization");

        group.MapPost("/", async Task<Accepted<JobDto>> (StartOptimizationRequest request, JobService jobs, WorkspaceContext ws, CancellationToken ct) =>
        {
            var job = await jobs.StartAsync(ws, request, ct);
            return TypedResults.Accepted($"/api/optimization/{job.Id}", job);
        }).WithSummary("Start an optimization job (202: queued)");

        // Read permission is enough: an estimate changes nothing, and a viewer may want to know what a job would cost.
        group.MapPost("/estimate", async (StartOptimizationRequest request, JobEstimator estimator, WorkspaceContext ws, CancellationToken ct) =>
            TypedResults.Ok(await estimator.EstimateAsync(ws.WorkspaceId, request, ct)))
            .RequirePermission(Permission.Read)
            .WithSummary("Estimate a job's LLM calls, tokens and cost before starting it (the body and validation of a start; an upper bound and a typical run)");

        group.MapGet("/", async (string? status, int? limit, JobService jobs, WorkspaceContext ws, CancellationToken ct) =>
            TypedResults.Ok(await jobs.ListAsync(ws.WorkspaceId, status, limit, ct)))
            .WithSummary("Jobs, newest first, optionally of one status");

        group.MapGet("/{id:guid}", async (Guid id, JobService jobs, WorkspaceContext ws, CancellationToken ct) =>
            TypedResults.Ok(await jobs.GetAsync(ws.WorkspaceId, id, ct)));

        group.MapPost("/{id:guid}/pause", async (Guid id, JobService jobs, WorkspaceContext ws, CancellationToken ct) =>
            TypedResults.Ok(await jobs.PauseAsync(ws, id, ct)))
            .WithSummary("Pause a running job; all progress is kept");

        group.MapPost("/{id:guid}/resume", async (Guid id, JobService jobs, WorkspaceContext ws, CancellationToken ct) =>
            TypedResults.Ok(await jobs.ResumeAsync(ws, id, ct)))
            .WithSummary("Resume a paused job after its last finished iteration");

        group.MapPost("/{id:guid}/cancel", async (Guid id, JobService jobs, WorkspaceContext ws, CancellationToken ct) =>
            TypedResults.Ok(await jobs.CancelAsync(ws, id, ct)))
            .WithSummary("Cancel a queued, running or paused job for good");

        group.MapGet("/{id:guid}/results", async (Guid id, bool? items, JobService jobs, WorkspaceContext ws, CancellationToken ct) =>
            TypedResults.Ok(await jobs.GetResultsAsync(ws.WorkspaceId, id, items ?? false, ct)))
            .WithSummary("Per-iteration scorecard, baseline, final score, improvement, stop reason (items=true adds per-item results)");

        group.MapGet("/{id:guid}/events", async (Guid id, long? afterEventId, int? limit, JobService jobs, WorkspaceContext ws, CancellationToken ct) =>
            TypedResults.Ok(await jobs.GetEventsAsync(ws.WorkspaceId, id, afterEventId ?? 0, limit, ct)))
            .WithSummary("Stored events with an id greater than afterEventId, in order");

        return api;
    }
}
