using System.Text.Json;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Components.Pages.Jobs;
using Xunit;

namespace PromptStudio.Web.Tests.Components;

public sealed class JobLiveModelTests
{
    private static readonly Guid JobId = Guid.CreateVersion7();

    [Fact]
    public void EventsTheSnapshotAlreadyHolds_FillTheChartAndLog_ButDoNotRewindTheJob()
    {
        var model = new JobLiveModel(Snapshot("paused", lastEventId: 3, bestScore: 0.75));

        model.Apply(Event(1, JobEventTypes.JobStarted, 0, new { }));
        model.Apply(Event(2, JobEventTypes.IterationComplete, 0, new { bestScore = 0.5, iterationBestScore = 0.5 }));
        model.Apply(Event(3, JobEventTypes.JobPaused, 0, new { }));

        Assert.Equal("paused", model.Job.Status);
        Assert.Equal(0.75, model.Job.BestScore);
        Assert.Equal(1, model.CompletedPoints);
        Assert.Equal([3L, 2L, 1L], model.Log.Select(e => e.Id));
    }

    [Fact]
    public void ANewerEvent_MovesTheStateAndTheAllowedActions()
    {
        var model = new JobLiveModel(Snapshot("running", lastEventId: 1, bestScore: null));
        model.Apply(Event(1, JobEventTypes.JobStarted, 0, new { }));

        Assert.True(model.Apply(Event(2, JobEventTypes.JobPaused, 0, new { })));

        Assert.Equal("paused", model.Job.Status);
        Assert.Equal(["resume", "cancel"], model.Job.AllowedActions);
        Assert.Equal(2, model.Job.LastEventId);
    }

    [Fact]
    public void AnEventSeenBefore_IsRefused_AndAJumpIsReportedAsAGap()
    {
        var model = new JobLiveModel(Snapshot("running", lastEventId: 0, bestScore: null));
        model.Apply(Event(1, JobEventTypes.JobStarted, 0, new { }));

        Assert.False(model.Apply(Event(1, JobEventTypes.JobStarted, 0, new { })));
        Assert.False(model.IsGap(Event(2, JobEventTypes.IterationStart, 1, new { })));
        Assert.True(model.IsGap(Event(3, JobEventTypes.IterationStart, 1, new { })));
    }

    [Fact]
    public void ASnapshotOlderThanTheAppliedEvents_IsIgnored()
    {
        var model = new JobLiveModel(Snapshot("running", lastEventId: 1, bestScore: null));
        model.Apply(Event(1, JobEventTypes.JobStarted, 0, new { }));
        model.Apply(Event(2, JobEventTypes.JobComplete, 3, new { stopReason = StopReasons.MaxIterations, bestScore = 0.9, resultPromptId = 7 }));

        Assert.False(model.Apply(Snapshot("running", lastEventId: 1, bestScore: 0.6)));

        Assert.Equal("completed", model.Job.Status);
        Assert.Equal(0.9, model.Job.BestScore);
        Assert.Equal(7, model.Job.ResultPromptId);
        Assert.Equal(100, model.Job.Progress);
        Assert.True(model.Apply(Snapshot("completed", lastEventId: 2, bestScore: 0.9)));
    }

    private static JobDto Snapshot(string status, long lastEventId, double? bestScore) => new(
        JobId, status, 1, 1, new OptimizationConfigDto(MaxIterations: 10, DryRun: true), 0, 10, 0, null, null, bestScore, null, null, null, null, null,
        [], null, null, new UsageDto(0, 0, 0, 0, 0), JobStates.TryParse(status, out var s) ? JobStates.UserActions(s).Select(a => a.ToWire()).ToArray() : [],
        lastEventId, DateTimeOffset.UtcNow, null, null, DateTimeOffset.UtcNow, "test");

    private static JobEventDto Event(long id, string type, int? iteration, object data) =>
        new(id, JobId, type, iteration, "test", JsonSerializer.SerializeToElement(data), DateTimeOffset.UtcNow);
}
