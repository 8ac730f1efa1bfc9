using Microsoft.AspNetCore.SignalR;
using PromptStudio.Client;
using PromptStudio.Web.Api;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Hubs;

/// <summary>What the server calls on a connected client.</summary>
public interface IOptimizationClient
{
    /// <summary>One job event; for a subscribed job, every event after the requested id, in order, once.</summary>
    Task JobEvent(JobEventDto jobEvent);

    /// <summary>A job of the workspace was created or changed state or scores.</summary>
    Task JobUpdated(JobDto job);
}

/// <summary>
/// <c>/hubs/optimization</c>: external clients (CLI, SDK, browser scripts) follow jobs here. The hub only
/// checks and registers; <see cref="HubStreams"/> does the replay-then-live delivery.
/// </summary>
public sealed class OptimizationHub(HubStreams streams, JobService jobs, WorkspaceContext workspace) : Hub<IOptimizationClient>
{
    public const string Path = "/hubs/optimization";

    public async Task Subscribe(Guid jobId, long afterEventId)
    {
        if (afterEventId < 0) throw new HubException($"afterEventId must be 0 or more (got {afterEventId}).");
        try
        {
            await jobs.GetAsync(workspace.WorkspaceId, jobId, Context.ConnectionAborted);
        }
        catch (NotFoundException e)
        {
            throw new HubException(e.Message);
        }
        streams.Subscribe(Context.ConnectionId, jobId, afterEventId);
    }

    public Task Unsubscribe(Guid jobId)
    {
        streams.Unsubscribe(Context.ConnectionId, jobId);
        return Task.CompletedTask;
    }

    public async Task SubscribeWorkspace()
    {
        streams.EnsureWorkspaceRelay(workspace.WorkspaceId);
        await Groups.AddToGroupAsync(Context.ConnectionId, HubStreams.WorkspaceGroup(workspace.WorkspaceId), Context.ConnectionAborted);
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        streams.RemoveConnection(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }
}
