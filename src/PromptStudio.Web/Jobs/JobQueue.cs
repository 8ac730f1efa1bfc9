using System.Collections.Concurrent;
using System.Threading.Channels;

namespace PromptStudio.Web.Jobs;

/// <summary>
/// The channel carries job ids only; the database is the truth. An id may be read more than once (a resume
/// and a restart can both enqueue it): the claim in <see cref="JobRunner"/> makes the second read a no-op.
/// </summary>
public sealed class JobQueue
{
    private readonly Channel<Guid> _channel = Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = false });

    public void Enqueue(Guid jobId) => _channel.Writer.TryWrite(jobId);

    public ChannelReader<Guid> Reader => _channel.Reader;

    /// <summary>Ids waiting for a free worker loop.</summary>
    public int Count => _channel.Reader.Count;
}

/// <summary>The jobs this process is running now, each with its own cancellation source.</summary>
public sealed class RunningJobs
{
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _running = new();

    public int Count => _running.Count;

    public bool Contains(Guid jobId) => _running.ContainsKey(jobId);

    public bool TryAdd(Guid jobId, CancellationTokenSource cts) => _running.TryAdd(jobId, cts);

    /// <summary>Removes the run that added <paramref name="cts"/>, never a later run of the same job.</summary>
    public void Remove(Guid jobId, CancellationTokenSource cts) => _running.TryRemove(KeyValuePair.Create(jobId, cts));

    /// <summary>Trips the job's token so the worker stops at once and carries out the requested action.</summary>
    public bool Interrupt(Guid jobId)
    {
        if (!_running.TryGetValue(jobId, out var cts)) return false;
        try
        {
            cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        return true;
    }
}

public sealed class JobsOptions
{
    public int MaxConcurrentJobs { get; set; } = 2;

    /// <summary>How long a worker's claim on a running job lasts without renewal.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a pause or cancel request waits for the worker to stop the job before it answers.</summary>
    public TimeSpan ControlTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// On PostgreSQL (several nodes), how often an idle node looks for queued jobs and for running jobs whose
    /// owner let go or stopped renewing its lease. Take-over after a crash needs at most lease + poll interval.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>This process's name in lease records.</summary>
    public string NodeId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";
}
