using PromptStudio.Core.Jobs;

namespace PromptStudio.Core.Tests.Jobs;

public sealed class JobStatesTests
{
    /// <summary>DESIGN §2 "States": every legal (state, action) pair and where it leads. Anything else is refused.</summary>
    private static readonly Dictionary<(JobStatus, JobAction), JobStatus> Allowed = new()
    {
        [(JobStatus.Queued, JobAction.Start)] = JobStatus.Running,
        [(JobStatus.Queued, JobAction.Cancel)] = JobStatus.Cancelled,
        [(JobStatus.Running, JobAction.Complete)] = JobStatus.Completed,
        [(JobStatus.Running, JobAction.Pause)] = JobStatus.Paused,
        [(JobStatus.Running, JobAction.Fail)] = JobStatus.Failed,
        [(JobStatus.Running, JobAction.Cancel)] = JobStatus.Cancelled,
        [(JobStatus.Paused, JobAction.Resume)] = JobStatus.Running,
        [(JobStatus.Paused, JobAction.Cancel)] = JobStatus.Cancelled,
    };

    public static TheoryData<JobStatus, JobAction> EveryStateAndAction()
    {
        var data = new TheoryData<JobStatus, JobAction>();
        foreach (var status in Enum.GetValues<JobStatus>())
            foreach (var action in Enum.GetValues<JobAction>())
                data.Add(status, action);
        return data;
    }

    [Fact]
    public void TheMatrix_CoversSixStatesAndSixActions() =>
        Assert.Equal(36, EveryStateAndAction().Count);

    [Theory]
    [MemberData(nameof(EveryStateAndAction))]
    public void Transition_FollowsTheDesignTable_ForEveryStateAndAction(JobStatus from, JobAction action)
    {
        if (Allowed.TryGetValue((from, action), out var expected))
        {
            Assert.Equal(expected, JobStates.Transition(from, action));
            Assert.Equal(expected, JobStates.Next(from, action));
            return;
        }

        var error = Assert.Throws<InvalidJobTransitionException>(() => JobStates.Transition(from, action));
        Assert.Null(JobStates.Next(from, action));
        Assert.Equal(from, error.Current);
        Assert.Equal(action, error.Action);
        Assert.Contains($"is {from.ToWire()}", error.Message, StringComparison.Ordinal);
        Assert.Equal(JobStates.UserActions(from), error.AllowedActions);
    }

    [Theory]
    [InlineData(JobStatus.Queued, new[] { JobAction.Cancel })]
    [InlineData(JobStatus.Running, new[] { JobAction.Pause, JobAction.Cancel })]
    [InlineData(JobStatus.Paused, new[] { JobAction.Resume, JobAction.Cancel })]
    [InlineData(JobStatus.Completed, new JobAction[0])]
    [InlineData(JobStatus.Failed, new JobAction[0])]
    [InlineData(JobStatus.Cancelled, new JobAction[0])]
    public void UserActions_ListOnlyPauseResumeAndCancelThatTheStateAllows(JobStatus status, JobAction[] expected) =>
        Assert.Equal(expected, JobStates.UserActions(status));

    [Theory]
    [InlineData(JobStatus.Queued, false)]
    [InlineData(JobStatus.Running, false)]
    [InlineData(JobStatus.Paused, false)]
    [InlineData(JobStatus.Completed, true)]
    [InlineData(JobStatus.Failed, true)]
    [InlineData(JobStatus.Cancelled, true)]
    public void IsTerminal_IsTrue_OnlyForStatesThatAllowNoTransition(JobStatus status, bool terminal)
    {
        Assert.Equal(terminal, status.IsTerminal());
        Assert.Equal(terminal, Enum.GetValues<JobAction>().All(a => JobStates.Next(status, a) is null));
    }

    [Fact]
    public void RefusalMessage_NamesTheAllowedActions_WhenThereAreSome()
    {
        var error = Assert.Throws<InvalidJobTransitionException>(() => JobStates.Transition(JobStatus.Paused, JobAction.Pause));

        Assert.Equal("Cannot pause a job that is paused (allowed: resume, cancel).", error.Message);
    }

    [Fact]
    public void RefusalMessage_SaysTheStateIsFinal_WhenItAllowsNothing()
    {
        var error = Assert.Throws<InvalidJobTransitionException>(() => JobStates.Transition(JobStatus.Completed, JobAction.Resume));

        Assert.Equal("Cannot resume a job that is completed (it is final and allows no action).", error.Message);
        Assert.Empty(error.AllowedActions);
    }

    [Theory]
    [InlineData(JobStatus.Queued, "queued")]
    [InlineData(JobStatus.Running, "running")]
    [InlineData(JobStatus.Paused, "paused")]
    [InlineData(JobStatus.Completed, "completed")]
    [InlineData(JobStatus.Failed, "failed")]
    [InlineData(JobStatus.Cancelled, "cancelled")]
    public void WireName_IsLowercase_AndParsesBack(JobStatus status, string wire)
    {
        Assert.Equal(wire, status.ToWire());
        Assert.True(JobStates.TryParse(wire, out var parsed));
        Assert.Equal(status, parsed);
        Assert.True(JobStates.TryParse(wire.ToUpperInvariant(), out parsed));
        Assert.Equal(status, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("done")]
    [InlineData("1")]
    [InlineData("42")]
    public void TryParse_Refuses_UnknownNamesAndNumbers(string? value) =>
        Assert.False(JobStates.TryParse(value, out _));
}
