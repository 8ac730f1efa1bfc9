namespace PromptStudio.Web.Workspaces;

/// <summary>
/// Who is calling and in which workspace, with what power: resolved once per request, hub connection or
/// dashboard circuit by <see cref="WorkspaceResolver"/>. Every query is scoped by <see cref="WorkspaceId"/>.
/// </summary>
public sealed class WorkspaceContext
{
    public bool IsResolved { get; private set; }
    public Guid WorkspaceId { get; private set; }
    public string WorkspaceName { get; private set; } = "";
    public string UserId { get; private set; } = "";
    public string UserName { get; private set; } = "";
    public WorkspaceRole Role { get; private set; }

    /// <summary>The most this caller may do: the role, capped by the API key's scope when a key is used.</summary>
    public Permission MaxPermission { get; private set; }
    public Guid? ApiKeyId { get; private set; }

    /// <summary>Every workspace the user belongs to, for the switcher.</summary>
    public IReadOnlyList<WorkspaceMembership> Memberships { get; private set; } = [];

    public bool Can(Permission permission) => IsResolved && MaxPermission >= permission;

    internal void Set(WorkspaceMembership current, string userId, string userName, Permission max, Guid? apiKeyId, IReadOnlyList<WorkspaceMembership> all)
    {
        IsResolved = true;
        WorkspaceId = current.WorkspaceId;
        WorkspaceName = current.Name;
        Role = current.Role;
        UserId = userId;
        UserName = userName;
        MaxPermission = max;
        ApiKeyId = apiKeyId;
        Memberships = all;
    }
}

public sealed record WorkspaceMembership(Guid WorkspaceId, string Name, WorkspaceRole Role);

public static class DefaultWorkspace
{
    public static readonly Guid Id = new("7b0c3a4e-5d1f-4c2a-9e0b-000000000001");
    public const string Name = "Demo workspace";
    public const string DemoUser = "demo";
}
