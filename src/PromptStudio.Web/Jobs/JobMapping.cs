using System.Text.Json;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Metrics;

namespace PromptStudio.Web.Jobs;

public static class JobMapping
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static MetricScorecardDto ToDto(this MetricScorecard card) =>
        new(card.Metric, card.Type, card.Threshold, card.Average, card.PassRate, card.Passed, card.Items);

    public static JobDto ToDto(this OptimizationJob job, int? queuePosition = null, string? queueReason = null) => new(
        job.Id,
        job.Status.ToWire(),
        job.PromptId,
        job.DatasetId,
        JsonSerializer.Deserialize<OptimizationConfigDto>(job.ConfigJson, Json) ?? new OptimizationConfigDto(),
        job.CurrentIteration,
        job.MaxIterations,
        job.Progress,
        job.BaselineScore,
        job.CurrentScore,
        job.BestScore,
        job.BestPrompt,
        job.BestSystemPrompt,
        job.ResultPromptId,
        job.StopReason,
        job.Error,
        job.Warnings,
        job.Status == JobStatus.Queued ? queuePosition : null,
        job.Status is JobStatus.Queued or JobStatus.Running ? queueReason : null,
        new UsageDto(job.LlmCalls, job.InputTokens, job.OutputTokens, job.CostUsd, job.CacheHits),
        JobStates.UserActions(job.Status).Select(a => a.ToWire()).ToArray(),
        job.LastEventId,
        AsOffset(job.CreatedAt),
        job.StartedAt is { } s ? AsOffset(s) : null,
        job.CompletedAt is { } c ? AsOffset(c) : null,
        AsOffset(job.UpdatedAt),
        job.CreatedBy);

    public static JobEventDto ToDto(this JobEvent e) => new(
        e.Id,
        e.JobId,
        e.Type,
        e.Iteration,
        e.Stage,
        JsonDocument.Parse(e.DataJson).RootElement.Clone(),
        AsOffset(e.Timestamp));

    public static DateTimeOffset AsOffset(DateTime utc) => new(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
}
