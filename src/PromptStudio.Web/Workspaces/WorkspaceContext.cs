namespace PromptStudio.Web.Workspaces;

/// <summary>
/// Who is calling and in which workspace. Until accounts exist every caller acts as the demo user in the
/// default workspace; this is the one place that changes when authentication arrives.
/// </summary>
public sealed class WorkspaceContext
{
    public Guid WorkspaceId { get; init; } = DefaultWorkspace.Id;
    public string UserName { get; init; } = DefaultWorkspace.DemoUser;
}

public static class DefaultWorkspace
{
    public static readonly Guid Id = new("7b0c3a4e-5d1f-4c2a-9e0b-000000000001");
    public const string Name = "Demo workspace";
    public const string DemoUser = "demo";
}
