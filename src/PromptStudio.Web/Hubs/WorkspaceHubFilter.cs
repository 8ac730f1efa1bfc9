using Microsoft.AspNetCore.SignalR;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Hubs;

/// <summary>
/// Every hub call acts in a workspace the caller belongs to (the API key's, the X-Workspace-Id header's or
/// the user's default) and needs read permission; the hub methods then scope their lookups by it.
/// </summary>
public sealed class WorkspaceHubFilter(WorkspaceResolver resolver) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var workspace = invocationContext.ServiceProvider.GetRequiredService<WorkspaceContext>();
        var http = invocationContext.Context.GetHttpContext();
        Guid? requested = null;
        var header = http?.Request.Headers[WorkspaceResolver.WorkspaceHeader].ToString();
        if (string.IsNullOrEmpty(header)) header = http?.Request.Query["workspaceId"].ToString();
        if (!string.IsNullOrEmpty(header))
        {
            if (!Guid.TryParse(header, out var id)) throw new HubException($"{WorkspaceResolver.WorkspaceHeader} must be a workspace id.");
            requested = id;
        }

        var user = invocationContext.Context.User;
        if (user is null || !await resolver.ResolveAsync(user, requested, workspace, invocationContext.Context.ConnectionAborted))
            throw new HubException(requested is null ? "You are not a member of any workspace." : $"Workspace {requested} was not found.");
        if (!workspace.Can(Permission.Read)) throw new HubException("This needs read permission in the workspace.");
        return await next(invocationContext);
    }
}
