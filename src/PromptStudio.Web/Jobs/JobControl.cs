namespace PromptStudio.Web.Jobs;

/// <summary>
/// Wakes the owner of a job once a pause or cancel has been recorded on its row (<see cref="OptimizationJob.RequestedAction"/>).
/// The row is the truth and the signal only a shortcut: an owner that misses it reads the request at its next
/// lease heartbeat. In-process by default; with Redis, <see cref="RedisJobControl"/> reaches the owner on any node.
/// </summary>
public interface IJobControl
{
    void Interrupt(Guid jobId);
}

/// <summary>One node: the owner, if any, is this process.</summary>
public sealed class LocalJobControl(RunningJobs running) : IJobControl
{
    public void Interrupt(Guid jobId) => running.Interrupt(jobId);
}
