namespace PromptStudio.Web.Workspaces;

/// <summary>A team's space; every prompt, dataset and job belongs to exactly one.</summary>
public sealed class Workspace
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public DateTime CreatedAt { get; set; }
}
