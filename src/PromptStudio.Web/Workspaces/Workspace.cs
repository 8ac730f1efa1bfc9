namespace PromptStudio.Web.Workspaces;

/// <summary>A team's space; every prompt, dataset, provider, key and job belongs to exactly one.</summary>
public sealed class Workspace
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>How many iteration-runs (one iteration of one job) the workspace may use.</summary>
    public int IterationLimit { get; set; }

    /// <summary>Iteration-runs charged so far; an iteration is charged once, when it starts.</summary>
    public int IterationsUsed { get; set; }
}

/// <summary>Roles in increasing power; each includes what the ones below may do.</summary>
public enum WorkspaceRole
{
    Viewer = 0,
    Member = 1,
    Admin = 2,
    Owner = 3,
}

/// <summary>What a caller may do in a workspace (see docs/permissions.md).</summary>
public enum Permission
{
    /// <summary>See prompts, datasets, jobs, usage.</summary>
    Read = 0,

    /// <summary>Create prompts, datasets and jobs; pause, resume and cancel jobs.</summary>
    Write = 1,

    /// <summary>Manage providers, members, invitations, API keys and limits; read the audit log.</summary>
    Admin = 2,

    /// <summary>Transfer or delete the workspace.</summary>
    Owner = 3,
}

public sealed class WorkspaceMember
{
    public Guid WorkspaceId { get; set; }
    public required string UserId { get; set; }
    public WorkspaceRole Role { get; set; }
    public DateTime JoinedAt { get; set; }
}

public static class WorkspaceRoles
{
    public static string ToWire(this WorkspaceRole role) => role.ToString().ToLowerInvariant();

    public static bool TryParse(string? value, out WorkspaceRole role)
    {
        role = default;
        return value is not null && !int.TryParse(value, out _) && Enum.TryParse(value, true, out role) && Enum.IsDefined(role);
    }

    /// <summary>The single mapping from roles to permissions.</summary>
    public static bool Allows(this WorkspaceRole role, Permission permission) => (int)role >= (int)permission;
}
