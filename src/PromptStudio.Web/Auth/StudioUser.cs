using Microsoft.AspNetCore.Identity;

namespace PromptStudio.Web.Auth;

public sealed class StudioUser : IdentityUser
{
    /// <summary>The workspace the dashboard opens in; switching workspaces updates it.</summary>
    public Guid? LastWorkspaceId { get; set; }
}

/// <summary>An API key. Only a hash of the secret is stored; the prefix identifies the key in lists and logs.</summary>
public sealed class ApiKey
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public required string UserId { get; set; }
    public required string Name { get; set; }

    /// <summary>The visible start of the key, e.g. <c>ps_3f9a2c1b</c>; also the lookup key.</summary>
    public required string Prefix { get; set; }
    public required byte[] Hash { get; set; }
    public ApiKeyScope Scope { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}

public enum ApiKeyScope
{
    Read = 0,
    Write = 1,
    Admin = 2,
}

/// <summary>An invitation to join a workspace with a role; the token is shown once and stored hashed.</summary>
public sealed class Invitation
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public required byte[] TokenHash { get; set; }
    public string? Email { get; set; }
    public Workspaces.WorkspaceRole Role { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? AcceptedAt { get; set; }
    public string? AcceptedBy { get; set; }
}

/// <summary>Who did what to which resource, for admins.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public required string Actor { get; set; }
    public required string Action { get; set; }
    public required string Target { get; set; }
    public string? Details { get; set; }
    public DateTime At { get; set; }
}
