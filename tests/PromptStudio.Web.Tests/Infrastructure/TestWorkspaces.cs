using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Tests.Infrastructure;

public static class TestWorkspaces
{
    /// <summary>The workspace context of a signed-in member of the demo workspace, for component tests.</summary>
    public static WorkspaceContext SignedIn(WorkspaceRole role)
    {
        var membership = new WorkspaceMembership(DefaultWorkspace.Id, DefaultWorkspace.Name, role);
        var context = new WorkspaceContext();
        context.Set(membership, "test-user", "tester@test.local", (Permission)(int)role, null, [membership]);
        return context;
    }
}
