using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Auth;

/// <summary>A dashboard circuit has its own DI scope: resolve its workspace once, when it opens.</summary>
public sealed class WorkspaceCircuitHandler(
    AuthenticationStateProvider authentication,
    WorkspaceResolver resolver,
    WorkspaceContext workspace) : CircuitHandler
{
    public override async Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        var state = await authentication.GetAuthenticationStateAsync();
        await resolver.ResolveAsync(state.User, null, workspace, cancellationToken);
    }
}
