using System.Text.Json;

namespace PromptStudio.Client;

// Wire contracts of the REST API and the hub (camelCase JSON). The server and every client share them.

public sealed record PromptDto(
    int Id,
    Guid GroupId,
    string Name,
    string? Description,
    int Version,
    bool IsLatest,
    string? SystemPrompt,
    string Template,
    IReadOnlyList<string> Variables,
    Guid? SourceJobId,
    DateTimeOffset CreatedAt,
    string CreatedBy);

public sealed record CreatePromptRequest(string? Name, string? Template, string? SystemPrompt = null, string? Description = null);

/// <summary>A new version of an existing prompt; a field left out keeps the previous version's value.</summary>
public sealed record AddPromptVersionRequest(string? Template, string? SystemPrompt = null, string? Name = null, string? Description = null);

public sealed record DatasetDto(
    int Id,
    string Name,
    string? Description,
    Guid? PromptGroupId,
    int ItemCount,
    IReadOnlyList<string> Variables,
    DateTimeOffset CreatedAt,
    string CreatedBy);

public sealed record DatasetItemDto(
    int Id,
    string? Name,
    IReadOnlyDictionary<string, string> Input,
    string? ExpectedOutput,
    IReadOnlyList<string> Labels,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>An item as a client sends it. Input values may be strings, numbers or booleans.</summary>
public sealed record DatasetItemInput(
    Dictionary<string, JsonElement>? Input,
    string? ExpectedOutput = null,
    string? Name = null,
    List<string>? Labels = null,
    Dictionary<string, JsonElement>? Metadata = null);

public sealed record CreateDatasetRequest(string? Name, List<DatasetItemInput>? Items, string? Description = null, Guid? PromptGroupId = null);

public sealed record AddDatasetItemsRequest(List<DatasetItemInput>? Items);

public sealed record Page<T>(IReadOnlyList<T> Items, int Total, int Offset, int Limit);

/// <summary>Job configuration as clients send and see it (DESIGN §2).</summary>
public sealed record OptimizationConfigDto(
    int? MaxIterations = null,
    double? TargetScore = null,
    int? Patience = null,
    string? Model = null,
    bool? DryRun = null,
    Dictionary<string, JsonElement>? TuningParams = null);

public sealed record StartOptimizationRequest(int PromptId, int DatasetId, OptimizationConfigDto? Config = null);

public sealed record UsageDto(int LlmCalls, long InputTokens, long OutputTokens, decimal CostUsd, int CacheHits);

public sealed record JobDto(
    Guid Id,
    string Status,
    int PromptId,
    int DatasetId,
    OptimizationConfigDto Config,
    int CurrentIteration,
    int MaxIterations,
    int Progress,
    double? BaselineScore,
    double? CurrentScore,
    double? BestScore,
    string? BestPrompt,
    string? BestSystemPrompt,
    int? ResultPromptId,
    string? StopReason,
    string? Error,
    IReadOnlyList<string> Warnings,
    int? QueuePosition,
    string? QueueReason,
    UsageDto Usage,
    IReadOnlyList<string> AllowedActions,
    long LastEventId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    DateTimeOffset UpdatedAt,
    string CreatedBy);

/// <summary>One job event (DESIGN §4). <c>Id</c> increases by one per job.</summary>
public sealed record JobEventDto(
    long Id,
    Guid JobId,
    string Type,
    int? Iteration,
    string? Stage,
    JsonElement Data,
    DateTimeOffset Timestamp);

/// <summary>One item's result; <c>Reasoning</c> is the llm_judge's explanation of its rating.</summary>
public sealed record ItemResultDto(int ItemId, string? Output, double Score, IReadOnlyDictionary<string, double> MetricScores, bool Passed, string? Error, string? Reasoning = null);

/// <summary>One metric of a scorecard: the mean score over the items and the share of items at or above the metric's threshold.</summary>
public sealed record MetricScorecardDto(string Metric, string Type, double Threshold, double Average, double PassRate, int Passed, int Items);

public sealed record CandidateDto(
    int Iteration,
    int Index,
    string MutationKind,
    string? SystemPrompt,
    string Template,
    double? Score,
    IReadOnlyDictionary<string, double>? MetricScores,
    string? RejectedReason,
    bool IsBest,
    IReadOnlyList<ItemResultDto>? Items,
    IReadOnlyList<MetricScorecardDto>? Scorecard = null);

/// <summary>An iteration; <c>BestIndex</c> and <c>Scorecard</c> are those of its best evaluated candidate.</summary>
public sealed record IterationDto(
    int Iteration,
    double? BestScore,
    bool Completed,
    IReadOnlyList<CandidateDto> Candidates,
    int? BestIndex = null,
    IReadOnlyList<MetricScorecardDto>? Scorecard = null);

public sealed record HeldOutDto(int Items, double BaselineScore, double BestScore, string? Warning);

public sealed record JobResultsDto(
    Guid JobId,
    string Status,
    double? BaselineScore,
    double? FinalScore,
    double? Improvement,
    string? StopReason,
    int? ResultPromptId,
    string OriginalPrompt,
    string? OriginalSystemPrompt,
    string? BestPrompt,
    string? BestSystemPrompt,
    HeldOutDto? HeldOut,
    UsageDto Usage,
    IReadOnlyList<IterationDto> Iterations,
    IReadOnlyList<MetricScorecardDto>? BestScorecard = null);

/// <summary>LLM calls, tokens and cost of a run that has not happened; <c>CostUsd</c> is null when a model has no price.</summary>
public sealed record UsageEstimateDto(long LlmCalls, long InputTokens, long OutputTokens, decimal? CostUsd);

/// <summary>One role of a job (evaluation: the model under test; mutation; judge), the model that plays it and its price per 1M tokens.</summary>
public sealed record RoleEstimateDto(string Role, string Model, decimal? InputPerMillion, decimal? OutputPerMillion, UsageEstimateDto UpperBound, UsageEstimateDto Typical);

/// <summary>
/// The pre-run estimate of <c>POST /api/optimization/estimate</c>. <c>UpperBound</c> assumes every iteration
/// runs and nothing comes from the cache; <c>Typical</c> what a run usually uses. <c>Simulated</c>: dryRun, no cost.
/// </summary>
public sealed record JobEstimateDto(
    bool Simulated,
    int TrainItems,
    int HeldOutItems,
    int MaxIterations,
    int TypicalIterations,
    UsageEstimateDto UpperBound,
    UsageEstimateDto Typical,
    IReadOnlyList<RoleEstimateDto> Roles,
    IReadOnlyList<string> UnpricedModels,
    IReadOnlyList<string> Notes,
    IReadOnlyList<string> Warnings);
